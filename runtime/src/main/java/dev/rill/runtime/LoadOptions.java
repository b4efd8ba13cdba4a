package dev.rill.runtime;

import java.util.Objects;

/**
 * How a {@link Model} is prepared at load time. Immutable; build one with {@link #builder()}:
 * {@code LoadOptions.builder().weights(WeightType.BF16).threads(2).build()}.
 */
public final class LoadOptions {

  private static final LoadOptions DEFAULTS = builder().build();

  private final WeightType weights;
  private final int threads;

  private LoadOptions(Builder builder) {
    this.weights = builder.weights;
    this.threads = builder.threads;
  }

  /** FP32 weights and one thread. */
  public static LoadOptions defaults() {
    return DEFAULTS;
  }

  /** A builder that starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The precision of the weight matrices. */
  public WeightType weights() {
    return weights;
  }

  /**
   * The number of threads a streaming step ({@link StreamingSession}, {@link StreamBatch}) may use for large
   * recurrent layers, those with a hidden size of at least 512: their hidden units are split into one range
   * per thread, all gates of a unit together, so each core keeps its slice of the weights in its own cache.
   * Smaller layers, dense layers and {@link Model#run sequences} run on the calling thread. Results do not
   * depend on the thread count (they are bitwise identical).
   *
   * <p>With more than 1 thread, a model with such a layer starts {@code threads - 1} daemon worker threads,
   * stopped by {@link Model#close()}; otherwise no thread is started. Sessions of one model share the
   * workers and take turns. Kernels that cannot split a step ignore this setting.
   */
  public int threads() {
    return threads;
  }

  @Override
  public String toString() {
    return "LoadOptions[weights=" + weights + ", threads=" + threads + "]";
  }

  /** Builds {@link LoadOptions}. Not thread-safe. */
  public static final class Builder {
    private WeightType weights = WeightType.FP32;
    private int threads = 1;

    private Builder() {}

    /** Sets the precision of the weight matrices (default FP32). */
    public Builder weights(WeightType weights) {
      this.weights = Objects.requireNonNull(weights, "weights");
      return this;
    }

    /** Sets the number of threads a streaming step may use (default 1); must be at least 1. See {@link LoadOptions#threads()}. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** The options. */
    public LoadOptions build() {
      return new LoadOptions(this);
    }
  }
}
