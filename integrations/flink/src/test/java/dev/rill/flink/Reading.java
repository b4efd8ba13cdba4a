package dev.rill.flink;

import java.util.Arrays;

/**
 * A test event: one reading of a sensor, the {@code seq}-th of that sensor, with its feature vector.
 *
 * @param sensor the key
 * @param seq the reading's number within its sensor, from 0
 * @param features the model input
 */
public record Reading(String sensor, long seq, float[] features) {

  @Override
  public boolean equals(Object other) {
    return other instanceof Reading that && sensor.equals(that.sensor) && seq == that.seq
        && Arrays.equals(features, that.features);
  }

  @Override
  public int hashCode() {
    return sensor.hashCode() * 31 + Long.hashCode(seq);
  }

  @Override
  public String toString() {
    return "Reading[" + sensor + " #" + seq + "]";
  }
}
