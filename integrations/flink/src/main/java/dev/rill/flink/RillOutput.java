package dev.rill.flink;

import java.util.Arrays;
import java.util.Objects;

/**
 * The model's output for one event: the key of its stream, the event's timestamp and the output vector of
 * {@code Model.outputSize()} floats. Flink serializes it as a POJO (never with Kryo).
 *
 * @param key the key of the event's stream
 * @param timestamp the event's timestamp, or {@link Long#MIN_VALUE} when it had none (Flink's "no timestamp")
 * @param output the model's output for this step; the array belongs to this record
 * @param <K> the key type
 */
public record RillOutput<K>(K key, long timestamp, float[] output) {

  /** Checks that the output is there. */
  public RillOutput {
    Objects.requireNonNull(output, "output");
  }

  /** True when the event had a timestamp. */
  public boolean hasTimestamp() {
    return timestamp != Long.MIN_VALUE;
  }

  /** Equal key and timestamp, and outputs equal float by float as {@link Arrays#equals(float[], float[])}. */
  @Override
  public boolean equals(Object other) {
    return other instanceof RillOutput<?> that && timestamp == that.timestamp && Objects.equals(key, that.key)
        && Arrays.equals(output, that.output);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, timestamp, Arrays.hashCode(output));
  }

  @Override
  public String toString() {
    return "RillOutput[key=" + key + ", timestamp=" + (hasTimestamp() ? timestamp : "none") + ", output="
        + Arrays.toString(output) + "]";
  }
}
