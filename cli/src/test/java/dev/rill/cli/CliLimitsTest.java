package dev.rill.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.format.ModelBuilder;
import dev.rill.format.ModelWriter;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI at its limits: outputs too large for an array, a JVM out of memory, and the load budget option. */
class CliLimitsTest {

  @TempDir
  Path dir;

  /** A token model (vocabulary 2, one RNN unit) with a wide dense output, so that few steps make a large output. */
  private Path wideOutputModel(int outputs) throws IOException {
    Path file = dir.resolve("wide" + outputs + ".rill");
    ModelWriter.write(ModelBuilder.create()
        .embedding(2, 1, new float[] {0.5f, -0.5f})
        .rnn("rnn", Direction.FORWARD, 1, new float[] {1}, new float[] {0.5f}, new float[2])
        .dense("out", outputs, new float[outputs], new float[outputs], OutputActivation.NONE)
        .build(), file);
    return file;
  }

  private Path tokenIds(int steps) throws IOException {
    Path file = dir.resolve("ids" + steps + ".npy");
    Npy.write(NpyArray.ofInts(new int[steps], steps), file);
    return file;
  }

  @Test
  void runRefusesAnOutputLargerThanAnArrayInsteadOfOverflowing() throws IOException {
    Path model = wideOutputModel(65_536);
    Path ids = tokenIds(32_768); // 32768 x 65536 = 2^31 floats: the int product would be negative
    for (String mode : List.of("--stream", "--max-weight-bytes=1000000000")) {
      CliRun run = CliRun.of("run", model.toString(), "--input", ids.toString(), "--output", dir.resolve("y.npy").toString(),
          mode);
      assertEquals(RillCli.EXIT_FAILURE, run.exitCode(), run::toString);
      assertTrue(run.errLine().contains("32768 steps x 1 stream x 65536 outputs = 2147483648 floats, more than one array "
          + "holds"), run::toString);
      assertFalse(Files.exists(dir.resolve("y.npy")));
    }
  }

  @Test
  void maxWeightBytesRefusesAModelAboveTheBudgetInRunAndInspect() throws IOException {
    Path model = wideOutputModel(16);
    Path ids = tokenIds(3);
    CliRun run = CliRun.of("run", model.toString(), "--input", ids.toString(), "--output", dir.resolve("y.npy").toString(),
        "--max-weight-bytes", "64");
    assertEquals(RillCli.EXIT_FAILURE, run.exitCode(), run::toString);
    assertTrue(run.errLine().contains("more than the load budget of 64 bytes"), run::toString);

    CliRun inspect = CliRun.of("inspect", model.toString(), "--max-weight-bytes", "64");
    assertEquals(RillCli.EXIT_FAILURE, inspect.exitCode(), inspect::toString);
    assertTrue(inspect.errLine().contains("more than the load budget of 64 bytes"), inspect::toString);

    CliRun within = CliRun.of("inspect", model.toString(), "--max-weight-bytes", "1000000");
    assertEquals(0, within.exitCode(), within::toString);
    assertTrue(within.out().contains("load budget 1,000,000 bytes: the model loads within it"), within::toString);

    CliRun runWithin = CliRun.of("run", model.toString(), "--input", ids.toString(), "--output",
        dir.resolve("y.npy").toString(), "--max-weight-bytes", "1000000");
    assertEquals(0, runWithin.exitCode(), runWithin::toString);

    CliRun zero = CliRun.of("run", model.toString(), "--input", ids.toString(), "--output", dir.resolve("z.npy").toString(),
        "--max-weight-bytes", "0");
    assertEquals(RillCli.EXIT_FAILURE, zero.exitCode(), zero::toString);
    assertTrue(zero.errLine().contains("maxWeightBytes must be at least 1"), zero::toString);
  }

  @Test
  void outOfMemoryIsOneLineWithTheHeapMaximumAndHowToRaiseIt() throws Exception {
    Path model = wideOutputModel(4096);
    Path ids = tokenIds(32_768); // 2^27 output floats: 512 MiB, more than the child's 64 MiB heap
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = List.of(java, "-Xmx64m", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-cp", classPath, RillCli.class.getName(),
        "run", model.toString(), "--input", ids.toString(), "--output", dir.resolve("y.npy").toString(), "--stream");
    Path stderr = dir.resolve("stderr");
    Process process = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout").toFile())
        .redirectError(stderr.toFile()).start();
    boolean finished = process.waitFor(120, TimeUnit.SECONDS); // a hang guard only
    if (!finished) {
      process.destroyForcibly();
    }
    assertTrue(finished, "the CLI JVM did not finish");
    List<String> lines = Files.readAllLines(stderr).stream().filter(l -> !l.startsWith("WARNING")).toList();
    assertEquals(RillCli.EXIT_FAILURE, process.exitValue(), () -> String.join("\n", lines));
    assertEquals(1, lines.size(), () -> "one line, no stack trace: " + lines);
    assertTrue(lines.getFirst().startsWith("rill: error: the JVM ran out of memory"), lines::toString);
    assertTrue(lines.getFirst().matches(".*the heap maximum is [0-9]+ MiB.*"), lines::toString);
    assertTrue(lines.getFirst().contains("JAVA_OPTS=-Xmx8g ./rill"), lines::toString);
  }
}
