package dev.rill.format;

import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import java.util.List;
import java.util.Random;

/** Small valid models with seeded random weights, one per layer kind, for the format tests. */
final class TestModels {
  private TestModels() {}

  static float[] random(Random rnd, long n) {
    float[] a = new float[Math.toIntExact(n)];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  /** input 3 -> lstm "lstm0" (forward, H 4) -> dense "out" 2. */
  static RillModel lstm() {
    Random rnd = new Random(1);
    return ModelBuilder.create().input(3)
        .lstm("lstm0", Direction.FORWARD, 4, random(rnd, 16 * 3), random(rnd, 16 * 4), random(rnd, 32))
        .dense("out", 2, random(rnd, 2 * 4), random(rnd, 2), OutputActivation.NONE)
        .build();
  }

  /** Every option of an LSTM: bidirectional, peepholes, clip, input_forget, activation overrides. */
  static RillModel lstmFull() {
    Random rnd = new Random(2);
    return ModelBuilder.create().input(3)
        .lstm("lstm0", Direction.BIDIRECTIONAL, 4, random(rnd, 2 * 16 * 3), random(rnd, 2 * 16 * 4),
            random(rnd, 2 * 32))
        .peepholes(random(rnd, 2 * 12)).clip(2.5f).inputForget(true)
        .activations(ModelBuilder.activation(ActivationKind.HARD_SIGMOID), ModelBuilder.activation(ActivationKind.TANH),
            ModelBuilder.activation(ActivationKind.SCALED_TANH, 0.5f, 2f),
            ModelBuilder.activation(ActivationKind.SIGMOID), ModelBuilder.activation(ActivationKind.ELU),
            ModelBuilder.activation(ActivationKind.SOFTSIGN))
        .dense("out", 2, random(rnd, 2 * 8), null, OutputActivation.SOFTMAX)
        .metadata("source", "TestModels.lstmFull").metadata("trainer.epochs", "3")
        .build();
  }

  /** A token model: embedding -> gru -> dense, with a vocabulary. */
  static RillModel tokens() {
    Random rnd = new Random(3);
    return ModelBuilder.create().embedding(5, 3, random(rnd, 15)).vocabulary(List.of("<pad>", "a", "b", "c", "d"))
        .gru("gru0", Direction.FORWARD, 4, random(rnd, 12 * 3), random(rnd, 12 * 4), random(rnd, 24), true)
        .dense("out", 5, random(rnd, 5 * 4), random(rnd, 5), OutputActivation.LOG_SOFTMAX)
        .build();
  }

  /** input 64 -> lstm H 512 -> dense 8: about 4.7 MB, so that writing it takes a while; {@code version} in metadata. */
  static RillModel largeLstm(int version) {
    Random rnd = new Random(version);
    int h = 512;
    return ModelBuilder.create().input(64)
        .lstm("lstm0", Direction.FORWARD, h, random(rnd, 4L * h * 64), random(rnd, 4L * h * h), random(rnd, 8L * h))
        .dense("out", 8, random(rnd, 8L * h), random(rnd, 8), OutputActivation.NONE)
        .metadata("version", Integer.toString(version))
        .build();
  }
}
