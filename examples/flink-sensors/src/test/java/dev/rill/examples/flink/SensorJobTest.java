package dev.rill.examples.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The example job runs end to end on a local MiniCluster, with the bundled model, and prints what it says. */
class SensorJobTest {

  @Test
  void printsEachSensorsLastOutputAndTheRejectedReadings() {
    String model = Path.of(System.getProperty("rill.repo.root", "../.."), "examples", "silero_vad_lstm.rill")
        .toString();
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new SensorJob()).execute("--model", model, "--sensors", "30", "--readings", "40");
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, out);
    long last = out.lines().filter(l -> l.contains("last") && l.contains(" #39 |h| = ")).count();
    assertEquals(30, last, out);
    // 1,200 readings with a NaN in about one of 500: the ones the generator glitched are rejected.
    long rejected = out.lines().filter(l -> l.contains("rejected: feature ") && l.contains(" is NaN")).count();
    long glitched = 0;
    SensorJob.Readings readings = new SensorJob.Readings(30);
    for (long i = 0; i < 1_200; i++) {
      for (float f : readings.map(i).features()) {
        if (Float.isNaN(f)) {
          glitched++;
          break;
        }
      }
    }
    assertTrue(glitched > 0, "the generator glitched some readings");
    assertEquals(glitched, rejected, out);
    assertTrue(out.contains("1,200 readings of 30 sensors in "), out);
  }
}
