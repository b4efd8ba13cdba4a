package dev.rill.converter.onnx.export;

/**
 * What the exported ONNX graph takes besides the input sequence.
 *
 * @param initialStates add one {@code initial_h_K} (and, for LSTM, {@code initial_c_K}) input of shape
 *     [D, N, H] per recurrent layer K, so that a caller can feed the state back, one step at a time
 * @param sequenceLengths add an int32 input {@code sequence_lens} of shape [N] (ONNX semantics: steps past a
 *     sequence's length are not computed, their outputs are zero)
 */
public record ExportOptions(boolean initialStates, boolean sequenceLengths) {

  /** The plain graph: only the input sequence goes in, every state starts at zero. */
  public static final ExportOptions DEFAULT = new ExportOptions(false, false);

  /** Every optional input: initial states and sequence lengths. */
  public static final ExportOptions ALL_INPUTS = new ExportOptions(true, true);

  /**
   * Returns these options with the initial-state inputs switched on.
   *
   * @return a copy with {@code initialStates} true
   */
  public ExportOptions withInitialStates() {
    return new ExportOptions(true, sequenceLengths);
  }

  /**
   * Returns these options with the {@code sequence_lens} input switched on.
   *
   * @return a copy with {@code sequenceLengths} true
   */
  public ExportOptions withSequenceLengths() {
    return new ExportOptions(initialStates, true);
  }
}
