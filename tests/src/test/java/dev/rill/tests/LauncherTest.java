package dev.rill.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.runtime.testing.SharedFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./rill} launcher itself, as the README's commands run it: a bash script that finds JDK 25
 * and passes the runtime's JVM flags. Its build step is skipped here ({@code RILL_SKIP_BUILD=1}); the
 * reactor has just packaged the CLI.
 */
class LauncherTest {

  private static final Path ROOT = SharedFixtures.repoRoot();

  @TempDir
  Path dir;

  @Test
  void readmeFirstCommandSamplesFromTheBundledModel() throws Exception {
    Result result = rill("demo", "-n", "60");
    assertEquals(0, result.exitCode, result::toString);
    assertTrue(result.stdout.startsWith("The ") && result.stdout.length() >= 60, result::toString);
    assertTrue(result.stderr.contains("p99"), result::toString);
  }

  @Test
  void sileroExampleWritesTheGoldenOutput() throws Exception {
    Path out = dir.resolve("silero_vad_lstm.out.npy");
    Result result = rill("run", "examples/silero_vad_lstm.rill", "--input", "examples/silero_vad_lstm.input.npy",
        "--output", out.toString());
    assertEquals(0, result.exitCode, result::toString);
    NpyArray actual = Npy.read(out);
    NpyArray expected = Npy.read(ROOT.resolve("examples/silero_vad_lstm.expected.npy"));
    assertArrayEquals(new int[] {6, 128}, actual.shape());
    assertArrayEquals(expected.toFloats(), actual.toFloats(), 1e-5f);
  }

  @Test
  void usageErrorExitsWithTwo() throws Exception {
    Result result = rill("no-such-command");
    assertEquals(2, result.exitCode, result::toString);
  }

  @Test
  void failureExitsWithOneAndOneLine() throws Exception {
    Result result = rill("inspect", dir.resolve("missing.rill").toString());
    assertEquals(1, result.exitCode, result::toString);
    List<String> errors = result.stderr.lines().filter(l -> l.startsWith("rill: error:")).toList();
    assertEquals(1, errors.size(), result::toString);
    assertTrue(errors.get(0).contains("missing.rill"), result::toString);
  }

  private record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
    }
  }

  private Result rill(String... args) throws IOException, InterruptedException {
    Path script = ROOT.resolve("rill");
    assumeTrue(Files.isExecutable(script), "no executable ./rill launcher at " + script);
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
        "the launcher is a bash script and bash is not installed");
    assumeTrue(Files.isRegularFile(ROOT.resolve("cli/target/rill.classpath")),
        "the CLI is not packaged (cli/target/rill.classpath is missing); run the tests through mvn verify");
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
        .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    // Never let the launcher rebuild: it would recompile classes that this Maven build is still using.
    builder.environment().put("RILL_SKIP_BUILD", "1");
    Process process = builder.start();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("./rill " + String.join(" ", args) + " did not finish in 2 minutes");
    }
    return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }
}
