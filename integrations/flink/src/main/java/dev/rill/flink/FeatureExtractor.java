package dev.rill.flink;

import java.io.Serializable;

/**
 * The model input of an event: its feature vector of {@code Model.inputSize()} floats. Serializable, as it ships
 * with the job; a method reference such as {@code SensorReading::features} is fine.
 *
 * @param <E> the event type
 */
@FunctionalInterface
public interface FeatureExtractor<E> extends Serializable {

  /**
   * The event's features. Rill reads them before it calls this method again, so the array may be reused.
   *
   * @param event the event
   * @return the feature vector; an array of the wrong length, or null, sends the event to the rejected side output
   */
  float[] features(E event);
}
