package dev.rill.trainer.data;

/**
 * Splits a text into B contiguous streams of equal length and walks them in windows of T steps, so that window
 * k of stream s continues where window k - 1 of the same stream ended and a network can carry its state across
 * (truncated backpropagation through time). The input of each step is a character, its target the next one.
 * Rows of a window are time-major: row {@code t * B + s}.
 */
public final class StreamWindows {
  private final int[] text;
  private final int streams;
  private final int steps;
  private final int streamLength;

  /**
   * @param text the character ids
   * @param streams B
   * @param steps T
   * @throws IllegalArgumentException if the text is too short for one window of T steps per stream
   */
  public StreamWindows(int[] text, int streams, int steps) {
    if (streams < 1 || steps < 1) {
      throw new IllegalArgumentException("streams and steps must be at least 1, got " + streams + " and " + steps);
    }
    this.text = text;
    this.streams = streams;
    this.steps = steps;
    this.streamLength = text.length / streams;
    if (streamLength < steps + 1) {
      throw new IllegalArgumentException("a text of " + text.length + " characters is too short for " + streams + " streams of "
          + steps + " steps (+1 for the targets): it needs at least " + (long) streams * (steps + 1));
    }
  }

  /** @return how many windows one pass over the text has */
  public int windows() {
    return (streamLength - 1) / steps;
  }

  /** @return the number of predictions of one pass, windows × T × B */
  public long predictions() {
    return (long) windows() * steps * streams;
  }

  /**
   * Fills the inputs and targets of window k.
   *
   * @param k the window, in [0, windows())
   * @param inputs T·B ids
   * @param targets T·B ids
   */
  public void window(int k, int[] inputs, int[] targets) {
    java.util.Objects.checkIndex(k, windows());
    for (int t = 0; t < steps; t++) {
      for (int s = 0; s < streams; s++) {
        int at = s * streamLength + k * steps + t;
        inputs[t * streams + s] = text[at];
        targets[t * streams + s] = text[at + 1];
      }
    }
  }

  /** @return B */
  public int streams() {
    return streams;
  }

  /** @return T */
  public int steps() {
    return steps;
  }
}
