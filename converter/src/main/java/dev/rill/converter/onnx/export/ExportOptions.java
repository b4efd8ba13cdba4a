package dev.rill.converter.onnx.export;

/**
 * What the exported ONNX graph takes and gives besides the input sequence and the model output.
 *
 * @param initialStates add one {@code initial_h_K} (and, for LSTM, {@code initial_c_K}) input of shape
 *     [D, N, H] per recurrent layer K, so that a caller can feed the state back, one step at a time
 * @param sequenceLengths add an int32 input {@code sequence_lens} of shape [N] (ONNX semantics: steps past a
 *     sequence's length are not computed; the model output is zero there, as in Rill)
 * @param stateOutputs add the final states {@code Y_h_K} (and {@code Y_c_K}), [D, N, H], as graph outputs
 */
public record ExportOptions(boolean initialStates, boolean sequenceLengths, boolean stateOutputs) {

  /** Only the input sequence goes in, every state starts at zero; the output and the final states come out. */
  public static final ExportOptions DEFAULT = new ExportOptions(false, false, true);

  /** Every optional input and output: initial states, sequence lengths, final states. */
  public static final ExportOptions ALL_INPUTS = new ExportOptions(true, true, true);

  /**
   * Returns these options with the initial-state inputs switched on.
   *
   * @return a copy with {@code initialStates} true
   */
  public ExportOptions withInitialStates() {
    return new ExportOptions(true, sequenceLengths, stateOutputs);
  }

  /**
   * Returns these options with the {@code sequence_lens} input switched on.
   *
   * @return a copy with {@code sequenceLengths} true
   */
  public ExportOptions withSequenceLengths() {
    return new ExportOptions(initialStates, true, stateOutputs);
  }

  /**
   * Returns these options without the final-state outputs: the graph's only output is the model output.
   *
   * @return a copy with {@code stateOutputs} false
   */
  public ExportOptions withoutStateOutputs() {
    return new ExportOptions(initialStates, sequenceLengths, false);
  }
}
