package dev.rill.flink;

import dev.rill.runtime.LoadOptions;
import dev.rill.runtime.StreamBatch;
import dev.rill.runtime.WeightType;
import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How Rill runs inside a Flink job: the model file, how an event becomes the model's input, the load options,
 * which events to reject and the stepping mode. Immutable and serializable (it ships with the job graph). Build
 * one with {@link #builder(Path, FeatureExtractor)}:
 * <pre>{@code
 * RillConfig<SensorReading> config = RillConfig.builder(Path.of("vad.rill"), SensorReading::features)
 *     .rejectNonFinite(true)
 *     .throughputMode(256, Duration.ofMillis(20))
 *     .build();
 * }</pre>
 *
 * <p>The model file is read by every parallel instance when it opens, so it must be readable at the same path on
 * every TaskManager (a shared file system, the job's image, or Flink's distributed cache).
 *
 * @param <E> the event type
 */
public final class RillConfig<E> implements Serializable {

  @Serial
  private static final long serialVersionUID = 1L;

  /** How events are stepped. */
  public enum Mode {
    /** Each event is stepped on its own as it arrives, and its output emitted at once. */
    LATENCY,
    /**
     * Events are buffered and the events of many keys stepped together, one batched step per round; see
     * {@link Builder#throughputMode(int, Duration)} for the latency bound.
     */
    THROUGHPUT
  }

  private final String modelPath;
  private final FeatureExtractor<E> features;
  private final WeightType weights;
  private final int threads;
  private final boolean rejectNonFinite;
  private final Mode mode;
  private final int maxBatchEvents;
  private final long maxDelayMillis;
  private final String stateName;

  private RillConfig(Builder<E> builder) {
    this.modelPath = builder.modelPath;
    this.features = builder.features;
    this.weights = builder.weights;
    this.threads = builder.threads;
    this.rejectNonFinite = builder.rejectNonFinite;
    this.mode = builder.mode;
    this.maxBatchEvents = builder.maxBatchEvents;
    this.maxDelayMillis = builder.maxDelayMillis;
    this.stateName = builder.stateName;
  }

  /**
   * Starts a configuration: latency mode, fp32 weights, one thread, non-finite features stepped as they are.
   *
   * @param modelPath the {@code .rill} file, read by each parallel instance in {@code open()}
   * @param features turns an event into the model's input vector
   * @param <E> the event type
   * @return a builder
   */
  public static <E> Builder<E> builder(Path modelPath, FeatureExtractor<E> features) {
    return new Builder<>(Objects.requireNonNull(modelPath, "modelPath").toString(),
        Objects.requireNonNull(features, "features"));
  }

  /** The model file. */
  public Path modelPath() {
    return Path.of(modelPath);
  }

  /** Turns an event into the model's input vector. */
  public FeatureExtractor<E> features() {
    return features;
  }

  /** The options each parallel instance loads the model with. */
  public LoadOptions loadOptions() {
    return LoadOptions.builder().weights(weights).threads(threads).build();
  }

  /** True when events whose features hold NaN or an infinity are rejected instead of stepped. */
  public boolean rejectNonFinite() {
    return rejectNonFinite;
  }

  /** The stepping mode. */
  public Mode mode() {
    return mode;
  }

  /** Throughput mode: the most events buffered before a batched step; 1 in latency mode. */
  public int maxBatchEvents() {
    return maxBatchEvents;
  }

  /** Throughput mode: the longest an event waits in the buffer, in milliseconds; 0 in latency mode. */
  public long maxDelayMillis() {
    return maxDelayMillis;
  }

  /** The name of the keyed state that holds each key's recurrent state. */
  public String stateName() {
    return stateName;
  }

  @Override
  public String toString() {
    return "RillConfig[model=" + modelPath + ", " + loadOptions() + ", rejectNonFinite=" + rejectNonFinite + ", "
        + (mode == Mode.LATENCY ? "latency mode" : "throughput mode (up to " + maxBatchEvents + " events or "
            + maxDelayMillis + " ms)") + ", state '" + stateName + "']";
  }

  /**
   * Builds a {@link RillConfig}. Not thread-safe.
   *
   * @param <E> the event type
   */
  public static final class Builder<E> {
    private final String modelPath;
    private final FeatureExtractor<E> features;
    private WeightType weights = WeightType.FP32;
    private int threads = 1;
    private boolean rejectNonFinite;
    private Mode mode = Mode.LATENCY;
    private int maxBatchEvents = 1;
    private long maxDelayMillis;
    private String stateName = "rill-recurrent-state";

    private Builder(String modelPath, FeatureExtractor<E> features) {
      this.modelPath = modelPath;
      this.features = features;
    }

    /** The precision the weights are loaded in (default FP32); see {@link LoadOptions.Builder#weights}. */
    public Builder<E> weights(WeightType weights) {
      this.weights = Objects.requireNonNull(weights, "weights");
      return this;
    }

    /**
     * Threads per parallel instance that split the steps of large layers (default 1); see
     * {@link LoadOptions.Builder#threads}. Flink already runs one instance per slot, so more than 1 only pays
     * for large models on spare cores.
     */
    public Builder<E> threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * When true, an event whose features hold NaN or an infinity goes to the rejected side output and steps
     * nothing (default false: it is stepped, and NaN then stays in that key's state, as in the runtime).
     */
    public Builder<E> rejectNonFinite(boolean reject) {
      this.rejectNonFinite = reject;
      return this;
    }

    /** Latency mode (the default): each event is stepped alone as it arrives. */
    public Builder<E> latencyMode() {
      this.mode = Mode.LATENCY;
      this.maxBatchEvents = 1;
      this.maxDelayMillis = 0;
      return this;
    }

    /**
     * Throughput mode: each parallel instance buffers events and steps the events of many keys together through
     * one {@link StreamBatch}. The buffer is stepped when it holds {@code maxEvents} events, when its oldest
     * event has waited {@code maxDelay}, and before every watermark, checkpoint barrier and the end of input (so
     * outputs are never late to a watermark and checkpoints hold no buffered events). Two events of one key in
     * the buffer are stepped in order, in consecutive rounds.
     *
     * <p>Latency bound: an event's output is emitted at most {@code maxDelay} after the event arrived, plus the
     * time of the batched steps of one buffer (at most {@code maxEvents} events), plus any time the task thread
     * is busy with other work when the timer is due (Flink runs processing-time timers on the task thread).
     *
     * @param maxEvents the most events buffered, in [1, {@link StreamBatch#MAX_CAPACITY}]
     * @param maxDelay the longest an event waits in the buffer, at least 1 ms
     */
    public Builder<E> throughputMode(int maxEvents, Duration maxDelay) {
      Objects.requireNonNull(maxDelay, "maxDelay");
      if (maxEvents < 1 || maxEvents > StreamBatch.MAX_CAPACITY) {
        throw new IllegalArgumentException("maxEvents must be in [1, " + StreamBatch.MAX_CAPACITY + "], got "
            + maxEvents);
      }
      if (maxDelay.toMillis() < 1) {
        throw new IllegalArgumentException("maxDelay must be at least 1 ms, got " + maxDelay
            + " (for no delay, use latencyMode())");
      }
      this.mode = Mode.THROUGHPUT;
      this.maxBatchEvents = maxEvents;
      this.maxDelayMillis = maxDelay.toMillis();
      return this;
    }

    /**
     * The name of the keyed state holding each key's recurrent state (default {@code rill-recurrent-state}).
     * Restoring a savepoint needs the same name (and the same operator uid).
     */
    public Builder<E> stateName(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("the state name must not be blank");
      }
      this.stateName = name;
      return this;
    }

    /** The configuration. */
    public RillConfig<E> build() {
      return new RillConfig<>(this);
    }
  }
}
