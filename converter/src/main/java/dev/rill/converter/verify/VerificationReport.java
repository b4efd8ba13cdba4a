package dev.rill.converter.verify;

import java.util.List;

/**
 * The result of running a Rill model and an ONNX model on the same random inputs.
 *
 * @param steps T of the random input
 * @param batch N of the random input
 * @param seed the seed of the random inputs, to reproduce a run
 * @param rtol the relative tolerance the outputs were checked with
 * @param atol the absolute tolerance the outputs were checked with
 * @param outputs one comparison per compared output, the model output first
 */
public record VerificationReport(int steps, int batch, long seed, double rtol, double atol,
    List<OutputComparison> outputs) {

  /** Copies the list. */
  public VerificationReport {
    outputs = List.copyOf(outputs);
  }

  /**
   * Tells whether every compared value is within the tolerances.
   *
   * @return true when no output has a mismatch
   */
  public boolean passed() {
    return outputs.stream().allMatch(OutputComparison::passed);
  }

  /**
   * Returns the largest absolute error over all outputs.
   *
   * @return max |onnx - rill|
   */
  public double maxAbsError() {
    return outputs.stream().mapToDouble(OutputComparison::maxAbsError).max().orElse(0);
  }

  /**
   * Returns the largest relative error over all outputs (see {@link OutputComparison#maxRelError}).
   *
   * @return the largest relative error
   */
  public double maxRelError() {
    return outputs.stream().mapToDouble(OutputComparison::maxRelError).max().orElse(0);
  }
}
