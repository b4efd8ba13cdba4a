package dev.rill.runtime;

import java.util.Objects;

/**
 * How a {@link Model} is prepared at load time. Immutable; build one with {@link #builder()}:
 * {@code LoadOptions.builder().weights(WeightType.BF16).threads(2).build()}.
 */
public final class LoadOptions {

  private static final LoadOptions DEFAULTS = builder().build();

  /** The default {@link #maxWeightBytes()}: 4 GiB. */
  public static final long DEFAULT_MAX_WEIGHT_BYTES = 4L << 30;

  private final WeightType weights;
  private final int threads;
  private final long maxWeightBytes;

  private LoadOptions(Builder builder) {
    this.weights = builder.weights;
    this.threads = builder.threads;
    this.maxWeightBytes = builder.maxWeightBytes;
  }

  /** FP32 weights, one thread and a weight budget of {@link #DEFAULT_MAX_WEIGHT_BYTES}. */
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
   *
   * <p>At most {@link Runtime#availableProcessors()} (as seen when {@link Builder#threads} was called): more
   * threads than cores cannot run a step faster, and each one costs a thread stack.
   */
  public int threads() {
    return threads;
  }

  /**
   * The load budget: the most bytes of prepared (packed, off-heap) weights a model may need. The loader
   * computes what a file's layers need from their shapes and the {@link #weights() precision}, before it
   * decodes or allocates anything, and refuses a model above the budget with a
   * {@link dev.rill.format.ModelFormatException} (an IllegalArgumentException from {@link Model#of}).
   *
   * <p>Why a budget besides the file size limits of the reader: layers may share tensors, and each layer packs
   * its own copy, so a small file can ask for far more memory than its size (about 1,000 layers sharing one
   * 2 MB int8 matrix pair need 2 GB). Each layer's weights are counted, shared or not; an embedding table,
   * biases, peepholes and int8 scales count as float32. Default {@link #DEFAULT_MAX_WEIGHT_BYTES} (4 GiB);
   * lower it in services that load untrusted files, raise it for trusted larger models. The decoded float32
   * copies that exist on the heap while one layer is packed are not counted.
   */
  public long maxWeightBytes() {
    return maxWeightBytes;
  }

  @Override
  public String toString() {
    return "LoadOptions[weights=" + weights + ", threads=" + threads + ", maxWeightBytes=" + maxWeightBytes + "]";
  }

  /** Builds {@link LoadOptions}. Not thread-safe. */
  public static final class Builder {
    private WeightType weights = WeightType.FP32;
    private int threads = 1;
    private long maxWeightBytes = DEFAULT_MAX_WEIGHT_BYTES;

    private Builder() {}

    /**
     * Sets the load budget in bytes (default {@link #DEFAULT_MAX_WEIGHT_BYTES}); must be at least 1. See
     * {@link LoadOptions#maxWeightBytes()}.
     */
    public Builder maxWeightBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxWeightBytes must be at least 1, got " + bytes);
      }
      this.maxWeightBytes = bytes;
      return this;
    }

    /** Sets the precision of the weight matrices (default FP32). */
    public Builder weights(WeightType weights) {
      this.weights = Objects.requireNonNull(weights, "weights");
      return this;
    }

    /**
     * Sets the number of threads a streaming step may use (default 1); must be at least 1. A value above
     * {@link Runtime#availableProcessors()} is lowered to it, so one configuration suits machines of any size.
     * See {@link LoadOptions#threads()}.
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      this.threads = Math.min(threads, Runtime.getRuntime().availableProcessors());
      return this;
    }

    /** The options. */
    public LoadOptions build() {
      return new LoadOptions(this);
    }
  }
}
