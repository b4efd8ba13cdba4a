package dev.rill.runtime.internal.layer;

/** One compute layer of a {@link ModelPlan} after the input: recurrent or dense. */
public sealed interface Layer permits RecurrentLayer, DenseLayer {

  /** The layer's name in the model file, for error messages. */
  String name();

  /** Floats per stream that the layer consumes at one step. */
  int inputSize();

  /** Floats per stream that the layer produces at one step. */
  int outputSize();
}
