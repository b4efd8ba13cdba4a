package dev.rill.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The learning curves of a training run, training and validation bits per character by epoch, as a PNG drawn
 * by XChart. {@code rill train} writes it beside the model as {@code MODEL.png} (e.g. {@code model.rill.png})
 * after every epoch.
 */
final class LearningCurvePlot {
  /** Width of the PNG in pixels. */
  static final int WIDTH = 800;
  /** Height of the PNG in pixels. */
  static final int HEIGHT = 500;

  static {
    // XChart draws with Java2D; without a display (servers, CI) AWT must not look for one.
    System.setProperty("java.awt.headless", "true");
  }

  private LearningCurvePlot() {}

  /**
   * @param model a model file
   * @return the PNG written beside it: the model's name with {@code .png} appended
   */
  static Path pngOf(Path model) {
    return model.resolveSibling(model.getFileName() + ".png");
  }

  /**
   * Draws the curves and writes them atomically (a temporary file, then a move), so a reader never sees half a PNG.
   *
   * @param history training and validation bits per character of each epoch, epoch 1 first
   * @param title the chart's title
   * @param png where to write it
   * @throws IOException if it cannot be written
   */
  static void write(List<double[]> history, String title, Path png) throws IOException {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("epoch").yAxisTitle("bits per character")
        .build();
    chart.getStyler().setDecimalPattern("0.###");
    chart.getStyler().setXAxisDecimalPattern("0");
    addSeries(chart, "training", history, 0);
    addSeries(chart, "validation", history, 1);
    byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    // Beside the target, so the move stays on one file system; written with the usual permissions.
    Path tmp = png.toAbsolutePath().resolveSibling("." + png.getFileName() + ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void addSeries(XYChart chart, String name, List<double[]> history, int column) {
    // A diverged epoch's NaN or infinite loss cannot be drawn; leave the point out.
    List<Double> epochs = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      double v = history.get(i)[column];
      if (Double.isFinite(v)) {
        epochs.add(i + 1.0);
        values.add(v);
      }
    }
    if (values.isEmpty()) {
      return;
    }
    chart.addSeries(name, epochs, values).setMarker(SeriesMarkers.CIRCLE);
  }
}
