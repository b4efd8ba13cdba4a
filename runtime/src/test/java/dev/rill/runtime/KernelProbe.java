package dev.rill.runtime;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.internal.kernel.KernelProvider;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The main class {@link ScalarFallbackTest} runs in a forked JVM: it loads {@link #model()} twice (so the provider
 * is asked twice and must log its choice once), streams {@link #STEPS} steps of {@link #input} through it, and
 * prints on stdout: {@code kernels=<name>}; {@code vectorModule=<true|false>} (whether jdk.incubator.vector is in
 * the boot layer); {@code log <LEVEL> <message>} per record of a {@code dev.rill} logger; and
 * {@code step <t>: <bits>,...} per step, each output float as the hex of its raw bits, so the test can compare
 * them exactly.
 */
public final class KernelProbe {

  /** Steps streamed by the probe. */
  static final int STEPS = 6;

  private KernelProbe() {}

  /** A small model with two recurrent cell kinds, peepholes, a clip, linear-before-reset and a dense head. */
  static RillModel model() {
    return new RandomModels(3).vectorInput(7)
        .lstm(9, Direction.FORWARD, Options.DEFAULT.withPeepholes().withClip(3f))
        .gru(6, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset())
        .dense(4, OutputActivation.SOFTMAX).build();
  }

  /** The input of step {@code t}: deterministic values in (-1, 1). */
  static float[] input(int t, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) Math.sin(0.7 * t + 1.3 * i);
    }
    return x;
  }

  /**
   * Streams the probe model and prints the kernels' name and every step's output.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    // Before anything asks the provider: report every record of Rill's loggers on stdout, so the test can count
    // them (System.Logger goes to java.util.logging, whose console handler also prints them on stderr).
    List<String> records = new ArrayList<>();
    Logger.getLogger("").addHandler(new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (record.getLoggerName() != null && record.getLoggerName().startsWith("dev.rill")) {
          String message = new SimpleFormatter().formatMessage(record);
          records.add(record.getLevel() + " " + message.replace("\r", "").replace('\n', ' '));
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
    RillModel proto = model();
    // A first model only to ask the provider a second time: its choice must be logged once per JVM.
    try (Model first = Model.of(proto)) {
      first.outputSize();
    }
    StringBuilder out = new StringBuilder();
    try (Model model = Model.of(proto); StreamingSession session = model.newSession()) {
      float[] y = new float[model.outputSize()];
      for (int t = 0; t < STEPS; t++) {
        session.step(input(t, model.inputSize()), y);
        out.append("step ").append(t).append(':');
        for (int j = 0; j < y.length; j++) {
          out.append(j == 0 ? " " : ",").append(Integer.toHexString(Float.floatToRawIntBits(y[j])));
        }
        out.append('\n');
      }
    }
    System.out.println("kernels=" + KernelProvider.get().name());
    System.out.println("vectorModule=" + ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    for (String record : records) {
      System.out.println("log " + record);
    }
    System.out.print(out);
  }
}
