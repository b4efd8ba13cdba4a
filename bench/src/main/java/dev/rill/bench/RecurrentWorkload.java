package dev.rill.bench;

import dev.rill.format.ModelBuilder;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.RillModel;
import java.util.SplittableRandom;

/**
 * The benchmark workloads of issue 3: one recurrent layer of input size X and hidden size H, streamed at batch 1.
 * {@link #model} gives every benchmark (Rill and ONNX Runtime alike) the same seeded random weights.
 */
public enum RecurrentWorkload {
  /** X = 64, H = 128. */
  S(64, 128),
  /** X = 256, H = 256. */
  M(256, 256),
  /** X = 512, H = 1024. */
  L(512, 1024);

  /** The seed of every benchmark model's weights. */
  public static final long SEED = 20261122L;

  private final int inputSize;
  private final int hiddenSize;

  RecurrentWorkload(int inputSize, int hiddenSize) {
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
  }

  /**
   * Returns X.
   *
   * @return the input size
   */
  public int inputSize() {
    return inputSize;
  }

  /**
   * Returns H.
   *
   * @return the hidden size
   */
  public int hiddenSize() {
    return hiddenSize;
  }

  /** The recurrent cells the benchmarks cover. */
  public enum Cell {
    /** ONNX LSTM, 4 gates. */
    LSTM(4),
    /** ONNX GRU (linear_before_reset, as PyTorch), 3 gates. */
    GRU(3);

    private final int gates;

    Cell(int gates) {
      this.gates = gates;
    }

    /**
     * Returns the number of gates.
     *
     * @return 4 for LSTM, 3 for GRU
     */
    public int gates() {
      return gates;
    }
  }

  /**
   * The bytes of the weight matrices [W | R] (gates·H × (X + H)) that one streaming step reads, the biases left
   * out (they are under 0.2% of it): the numerator of the weight-streaming bandwidth floor.
   *
   * @param cell LSTM or GRU
   * @param bytesPerWeight 4 for fp32, 2 for bf16, 1 for int8
   * @return the bytes
   */
  public long weightBytes(Cell cell, int bytesPerWeight) {
    return (long) cell.gates * hiddenSize * (inputSize + hiddenSize) * bytesPerWeight;
  }

  /**
   * Builds a one-layer forward model of this size with weights uniform in [-1/sqrt(H), 1/sqrt(H)] (PyTorch's
   * initialisation), seeded with {@link #SEED}, so that every benchmark runs on identical weights.
   *
   * @param cell LSTM or GRU
   * @return a valid float32 model whose output is the layer's hidden state
   */
  public RillModel model(Cell cell) {
    SplittableRandom random = new SplittableRandom(SEED + 31L * ordinal() + cell.ordinal());
    float bound = (float) (1.0 / Math.sqrt(hiddenSize));
    int gh = cell.gates * hiddenSize;
    float[] w = uniform(random, gh * inputSize, bound);
    float[] r = uniform(random, gh * hiddenSize, bound);
    float[] b = uniform(random, 2 * gh, bound);
    ModelBuilder builder = ModelBuilder.create().input(inputSize);
    builder = switch (cell) {
      case LSTM -> builder.lstm("lstm", Direction.FORWARD, hiddenSize, w, r, b);
      case GRU -> builder.gru("gru", Direction.FORWARD, hiddenSize, w, r, b, true);
    };
    return builder.metadata("workload", name() + "/" + cell).build();
  }

  /**
   * Returns seeded inputs uniform in [-1, 1].
   *
   * @param count how many floats
   * @return the values
   */
  public static float[] inputs(int count) {
    return uniform(new SplittableRandom(SEED ^ count), count, 1f);
  }

  private static float[] uniform(SplittableRandom random, int count, float bound) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
    }
    return values;
  }
}
