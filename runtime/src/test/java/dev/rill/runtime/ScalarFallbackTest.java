package dev.rill.runtime;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rill.format.proto.RillModel;
import dev.rill.runtime.internal.exec.StreamStepper;
import dev.rill.runtime.internal.kernel.KernelProvider;
import dev.rill.runtime.internal.kernel.ScalarKernels;
import dev.rill.runtime.internal.kernel.WeightPrecision;
import dev.rill.runtime.internal.layer.ModelPlan;
import dev.rill.runtime.reference.ReferenceRnn;
import dev.rill.runtime.testing.Tolerance;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel provider's choice in fresh JVMs (it chooses once per JVM, so each case forks one running
 * {@link KernelProbe} on this test's class path and JDK):
 * <ul>
 *   <li>without {@code --add-modules jdk.incubator.vector} the runtime loads and works, on the scalar kernels, with
 *       exactly the numbers of the scalar kernels in this JVM, and logs once why and how to enable the vector
 *       kernels;
 *   <li>with the module, the provider picks the vector kernels when this build has them (this machine has C2 and
 *       256-bit vectors), else the scalar ones; {@code -Drill.kernels=scalar} forces scalar and
 *       {@code -Drill.kernels=vector} forces vector.
 * </ul>
 * Whether the build has vector kernels is read from the class path ({@code VectorKernels}), so these tests hold
 * before and after they land.
 */
class ScalarFallbackTest {

  private static final String VECTOR_KERNELS_CLASS = "dev.rill.runtime.internal.kernel.VectorKernels";
  private static final String ENABLE_HINT = "--add-modules jdk.incubator.vector";

  private static RillModel proto;
  /** Per step, the outputs of the scalar kernels in this JVM. */
  private static float[][] scalarOutputs;
  /** Per step, the outputs of the double-precision reference. */
  private static double[][] referenceOutputs;

  @TempDir
  Path temp;

  @BeforeAll
  static void computeExpectedOutputs() {
    proto = KernelProbe.model();
    // The scalar kernels explicitly, whichever kernels this JVM's provider picked.
    try (Arena arena = Arena.ofConfined()) {
      ModelPlan plan = ModelPlan.build(proto, WeightPrecision.FP32, ScalarKernels.INSTANCE, arena);
      StreamStepper stepper = new StreamStepper(plan, 1, arena);
      scalarOutputs = new float[KernelProbe.STEPS][];
      float[] xs = new float[KernelProbe.STEPS * plan.inputSize()];
      for (int t = 0; t < KernelProbe.STEPS; t++) {
        float[] x = KernelProbe.input(t, plan.inputSize());
        System.arraycopy(x, 0, xs, t * x.length, x.length);
        MemorySegment.copy(x, 0, stepper.input(), JAVA_FLOAT, 0, x.length);
        stepper.step();
        scalarOutputs[t] = stepper.output().asSlice(0, (long) plan.outputSize() * Float.BYTES).toArray(JAVA_FLOAT);
      }
      double[] reference = ReferenceRnn.run(proto, Tolerance.toDoubles(xs), KernelProbe.STEPS, 1, null, null, null)
          .output();
      referenceOutputs = new double[KernelProbe.STEPS][];
      for (int t = 0; t < KernelProbe.STEPS; t++) {
        referenceOutputs[t] = java.util.Arrays.copyOfRange(reference, t * plan.outputSize(),
            (t + 1) * plan.outputSize());
      }
    }
  }

  @Test
  void withoutTheVectorModuleTheScalarKernelsRunAndTheLogSaysHowToEnableTheVectorKernels() throws Exception {
    Probe probe = runProbe(List.of());

    assertEquals("false", probe.value("vectorModule"), "jdk.incubator.vector must be absent in the child\n" + probe);
    assertEquals("scalar", probe.value("kernels"), probe.toString());
    assertScalarNumbers(probe);
    assertEquals(1, probe.logRecords().size(), "the choice is logged once per JVM\n" + probe);
    String record = probe.logRecords().getFirst();
    // The probe reports a record on one line; a multi-line message spans lines on stderr.
    String stderrOneLine = probe.stderr().replace("\r", "").replace('\n', ' ');
    assertTrue(stderrOneLine.contains(record.substring(record.indexOf(' ') + 1)),
        "the log record reaches stderr through java.util.logging's console handler\n" + probe);
    if (vectorKernelsInBuild()) {
      assertTrue(record.contains(ENABLE_HINT), "the log says how to enable the vector kernels: " + record);
    } else {
      assertTrue(record.contains("scalar"), "the log names the scalar kernels: " + record);
    }
  }

  @Test
  void withTheVectorModuleTheProviderPicksVectorWhenTheBuildHasIt() throws Exception {
    Probe probe = runProbe(List.of("--add-modules", "jdk.incubator.vector"));

    assertEquals("true", probe.value("vectorModule"), probe.toString());
    String name = probe.value("kernels");
    if (vectorKernelsInBuild()) {
      assertTrue(name.startsWith("vector"), "C2 and 256-bit vectors here: expected vector kernels, got " + name);
    } else {
      assertEquals("scalar", name, "a build without vector kernels runs scalar");
    }
    assertEquals(1, probe.logRecords().size(), "the choice is logged once per JVM\n" + probe);
    assertCloseToReference(probe);
  }

  @Test
  void propertyForcesTheScalarKernelsEvenWithTheVectorModule() throws Exception {
    Probe probe = runProbe(List.of("--add-modules", "jdk.incubator.vector", "-D" + KernelProvider.PROPERTY + "=scalar"));

    assertEquals("true", probe.value("vectorModule"), probe.toString());
    assertEquals("scalar", probe.value("kernels"), probe.toString());
    assertScalarNumbers(probe);
  }

  @Test
  void propertyForcesTheVectorKernelsWhenTheBuildHasThem() throws Exception {
    Probe probe = runProbe(List.of("--add-modules", "jdk.incubator.vector", "-D" + KernelProvider.PROPERTY + "=vector"));

    String name = probe.value("kernels");
    if (vectorKernelsInBuild()) {
      assertTrue(name.startsWith("vector"), "forced vector kernels, got " + name);
    } else {
      assertEquals("scalar", name, "a build without vector kernels can only run scalar");
    }
    assertCloseToReference(probe);
  }

  private static boolean vectorKernelsInBuild() {
    try {
      Class.forName(VECTOR_KERNELS_CLASS, false, ScalarFallbackTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** The child ran the scalar kernels: its numbers are exactly this JVM's scalar numbers, and right. */
  private static void assertScalarNumbers(Probe probe) {
    for (int t = 0; t < KernelProbe.STEPS; t++) {
      float[] actual = probe.step(t);
      for (int j = 0; j < actual.length; j++) {
        assertEquals(Float.floatToRawIntBits(scalarOutputs[t][j]), Float.floatToRawIntBits(actual[j]),
            "step " + t + ", output " + j + ": " + scalarOutputs[t][j] + " in this JVM's scalar kernels, "
                + actual[j] + " in the child");
      }
    }
    assertCloseToReference(probe);
  }

  private static void assertCloseToReference(Probe probe) {
    for (int t = 0; t < KernelProbe.STEPS; t++) {
      Tolerance.assertClose(referenceOutputs[t], probe.step(t), "child step " + t);
    }
  }

  /** Runs {@link KernelProbe} in a new JVM with the given options and parses what it printed. */
  private Probe runProbe(List<String> jvmOptions) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Surefire may start its JVM from a manifest-only jar; then the real class path is in this property.
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>();
    command.add(java);
    // Protobuf still uses sun.misc.Unsafe; allowing it keeps its warning out of the child's stderr.
    command.add("--sun-misc-unsafe-memory-access=allow");
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", classPath, KernelProbe.class.getName()));
    Path stdout = temp.resolve("stdout.txt");
    Path stderr = temp.resolve("stderr.txt");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    // Options from the environment would change the child's modules and flags behind the test's back.
    Map<String, String> environment = builder.environment();
    environment.remove("JDK_JAVA_OPTIONS");
    environment.remove("JAVA_TOOL_OPTIONS");
    Process process = builder.start();
    // A guard against a hung child, not a timing assertion: the probe needs a second or two.
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      fail("the probe JVM did not finish: " + command);
    }
    Probe probe = new Probe(command, process.exitValue(), Files.readAllLines(stdout), Files.readString(stderr));
    assertEquals(0, probe.exitCode(), "the probe JVM failed\n" + probe);
    return probe;
  }

  private record Probe(List<String> command, int exitCode, List<String> stdout, String stderr) {

    String value(String key) {
      return stdout.stream().filter(line -> line.startsWith(key + "=")).map(line -> line.substring(key.length() + 1))
          .findFirst().orElseThrow(() -> new AssertionError("the probe printed no " + key + "\n" + this));
    }

    List<String> logRecords() {
      return stdout.stream().filter(line -> line.startsWith("log ")).map(line -> line.substring(4)).toList();
    }

    float[] step(int t) {
      String prefix = "step " + t + ": ";
      String line = stdout.stream().filter(l -> l.startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError("the probe printed no step " + t + "\n" + this));
      String[] bits = line.substring(prefix.length()).split(",");
      float[] values = new float[bits.length];
      for (int j = 0; j < bits.length; j++) {
        values[j] = Float.intBitsToFloat(Integer.parseUnsignedInt(bits[j], 16));
      }
      return values;
    }

    @Override
    public String toString() {
      return "command: " + String.join(" ", command.stream().map(a -> a.length() > 200 ? "<class path>" : a).toList())
          + "\nexit code: " + exitCode + "\nstdout:\n" + String.join("\n", stdout) + "\nstderr:\n" + stderr;
    }
  }
}
