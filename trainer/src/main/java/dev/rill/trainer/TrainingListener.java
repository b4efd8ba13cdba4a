package dev.rill.trainer;

/** Hears of a training run's progress, for a progress bar or a log. All methods default to doing nothing. */
public interface TrainingListener {

  /**
   * After each training window.
   *
   * @param epoch the epoch, from 1
   * @param window the window within it, from 1
   * @param windows windows per epoch
   * @param bitsPerChar the window's training loss in bits per character
   * @param charsPerSecond characters trained per second since the epoch started
   */
  default void window(int epoch, int window, int windows, double bitsPerChar, double charsPerSecond) {}

  /**
   * After each epoch's validation.
   *
   * @param epoch the epoch, from 1
   * @param trainBitsPerChar the mean training loss of the epoch
   * @param validationBitsPerChar the validation loss
   * @param best whether it is the best so far (the model file was written)
   */
  default void epoch(int epoch, double trainBitsPerChar, double validationBitsPerChar, boolean best) {}

  /**
   * A line worth showing (resuming, stopping early).
   *
   * @param message the line
   */
  default void message(String message) {}
}
