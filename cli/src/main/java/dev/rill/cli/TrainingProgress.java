package dev.rill.cli;

import dev.rill.trainer.TrainingListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What {@code rill train} shows while it trains: on a terminal, a progress bar per epoch (ETA, the last window's
 * loss and the speed); after each epoch, one line with the epoch's training and validation bits per character
 * and whether the model file was written; and the PNG of the learning curves, rewritten after every epoch.
 * Without a terminal (a file, a pipe, CI) there is no bar, so no carriage returns or escape codes land in logs:
 * the epoch lines carry the speed instead.
 */
final class TrainingProgress implements TrainingListener, AutoCloseable {
  private final PrintWriter out;
  private final PrintStream terminal;
  private final int epochs;
  private final Path model;
  private final Path png;
  private final String title;
  private final List<double[]> history = new ArrayList<>();
  private final long charsPerWindow;
  private ProgressBar bar;
  private int windowsThisEpoch;
  private double charsPerSecond;
  private long windowsTrained;

  /**
   * @param out where the lines go
   * @param terminal the terminal to draw the bar on, or null for none
   * @param epochs the last epoch of the run, or 0 when only a time limit ends it
   * @param model the model file
   * @param title the title of the learning-curve chart
   * @param charsPerWindow characters trained by one window (sequence length × batch)
   * @param earlierHistory the curves of the epochs before a resumed run (empty for a new run)
   */
  TrainingProgress(PrintWriter out, PrintStream terminal, int epochs, Path model, String title, long charsPerWindow,
      List<double[]> earlierHistory) {
    this.out = out;
    this.terminal = terminal;
    this.epochs = epochs;
    this.model = model;
    this.png = LearningCurvePlot.pngOf(model);
    this.title = title;
    this.charsPerWindow = charsPerWindow;
    this.history.addAll(earlierHistory);
  }

  /** @return the PNG of the learning curves */
  Path png() {
    return png;
  }

  /** @return windows trained by this run, for the overall speed */
  long charactersTrained() {
    return windowsTrained * charsPerWindow;
  }

  private String epochName(int epoch) {
    return "epoch " + epoch + (epochs > 0 ? "/" + epochs : "");
  }

  @Override
  public void window(int epoch, int window, int windows, double bitsPerChar, double charsPerSecond) {
    windowsThisEpoch = window;
    windowsTrained++;
    this.charsPerSecond = charsPerSecond;
    if (terminal == null) {
      return;
    }
    if (bar == null) {
      bar = new ProgressBarBuilder().setTaskName(epochName(epoch)).setInitialMax(windows).setStyle(ProgressBarStyle.UNICODE_BLOCK)
          .setConsumer(new ConsoleProgressBarConsumer(terminal)).setUpdateIntervalMillis(500).build();
    }
    bar.stepTo(window);
    bar.setExtraMessage(String.format("%.3f bits/char, %,.0f chars/s", bitsPerChar, charsPerSecond));
  }

  @Override
  public void epoch(int epoch, double trainBitsPerChar, double validationBitsPerChar, boolean best) {
    closeBar();
    history.add(new double[] {trainBitsPerChar, validationBitsPerChar});
    out.printf("%s: train %.4f bits/char, validation %.4f bits/char, %,.0f chars/s (%,d windows), %s%n", epochName(epoch), trainBitsPerChar,
        validationBitsPerChar, charsPerSecond, windowsThisEpoch, best ? "wrote " + model : "model not written (no better than epoch "
            + bestEpoch() + ")");
    out.flush();
    try {
      LearningCurvePlot.write(history, title, png);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + png + ": " + e.getMessage(), e);
    }
  }

  /** The epoch, from 1, with the lowest validation loss so far. */
  private int bestEpoch() {
    int best = 0;
    for (int i = 1; i < history.size(); i++) {
      if (history.get(i)[1] < history.get(best)[1]) {
        best = i;
      }
    }
    return best + 1;
  }

  @Override
  public void message(String message) {
    closeBar();
    out.println(message);
    out.flush();
  }

  /**
   * Rewrites the PNG from the run's whole history (after a resume, the epochs before it too).
   *
   * @param fullHistory training and validation bits per character of every epoch
   * @throws IOException if it cannot be written
   */
  void finish(List<double[]> fullHistory) throws IOException {
    closeBar();
    if (!fullHistory.isEmpty()) {
      LearningCurvePlot.write(fullHistory, title, png);
    }
  }

  private void closeBar() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }

  @Override
  public void close() {
    closeBar();
  }
}
