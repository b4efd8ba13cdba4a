package dev.rill.runtime.testing;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;

/** Small fixed models for examples and smoke tests. */
public final class ExampleModels {

  private ExampleModels() {}

  /** 4 inputs → LSTM with 8 hidden units → dense 3 with softmax; fixed pseudo-random weights. */
  public static RillModel tinyLstm() {
    return new RandomModels(2026).vectorInput(4).lstm(8, Direction.FORWARD)
        .dense(3, OutputActivation.SOFTMAX)
        .metadata("description", "tiny example LSTM").build();
  }
}
