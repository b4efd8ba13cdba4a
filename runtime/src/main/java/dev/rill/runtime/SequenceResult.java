package dev.rill.runtime;

import java.util.Objects;

/**
 * The outputs of {@link Model#run(SequenceBatch)}: the last layer's output at every step, every recurrent
 * layer's output sequence, and the final state. The arrays returned are the result's own (not copied, to
 * keep large results cheap); treat them as read-only.
 */
public final class SequenceResult {

  private final float[] output;
  private final int steps;
  private final int batch;
  private final int outputSize;
  private final float[][] layerOutputs;
  private final State finalState;

  SequenceResult(float[] output, int steps, int batch, int outputSize, float[][] layerOutputs, State finalState) {
    this.output = output;
    this.steps = steps;
    this.batch = batch;
    this.outputSize = outputSize;
    this.layerOutputs = layerOutputs;
    this.finalState = finalState;
  }

  /** The model's output, [T, N, outputSize], zero at the steps past a sequence's length. */
  public float[] output() {
    return output;
  }

  /** T. */
  public int steps() {
    return steps;
  }

  /** N. */
  public int batch() {
    return batch;
  }

  /** Floats per step and sequence in {@link #output()}. */
  public int outputSize() {
    return outputSize;
  }

  /** The state after each sequence's last valid step, for N streams. */
  public State finalState() {
    return finalState;
  }

  /**
   * The output of recurrent layer {@code recurrentLayer} (index among the recurrent layers), [T, N, D*H]:
   * the two directions of a bidirectional layer concatenated per step, forward first; zero past each
   * sequence's length. This is ONNX's {@code Y} with the direction axis moved next to H.
   */
  public float[] layerOutput(int recurrentLayer) {
    Objects.checkIndex(recurrentLayer, layerOutputs.length);
    return layerOutputs[recurrentLayer];
  }
}
