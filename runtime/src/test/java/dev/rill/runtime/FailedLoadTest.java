package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rill.format.Tensors;
import dev.rill.format.proto.DenseLayer;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.IoSpec;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A load that fails with an Error part way through frees the off-heap weights it had packed: repeated failed
 * loads in one JVM do not grow its native memory. The failure is real: a JVM with a 96 MB heap, a file whose
 * last layer (24 MB of int8) decodes to 96 MB of floats after twelve layers packed 24 MB off-heap.
 */
class FailedLoadTest {

  private static final int H = 256;
  private static final int SHARED_LAYERS = 12;
  private static final int DENSE_ROWS = 98_304;
  private static final int ATTEMPTS = 12;

  @Test
  void aLoadFailingWithAnErrorFreesItsOffHeapWeights(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc/self/status (Linux)");
    Path file = dir.resolve("too-large-for-the-heap.rill");
    Files.write(file, modelThatFailsLate().toByteArray());

    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(java, "-Xmx96m", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-cp", classPath, FailedLoadProbe.class.getName(),
        file.toString(), Integer.toString(ATTEMPTS)));
    Path out = dir.resolve("stdout");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
        .redirectError(dir.resolve("stderr").toFile()).start();
    boolean finished = process.waitFor(120, TimeUnit.SECONDS); // a hang guard only
    if (!finished) {
      process.destroyForcibly();
    }
    assertTrue(finished, "the probe JVM did not finish");
    assertEquals(0, process.exitValue(), () -> "probe failed: " + read(dir.resolve("stderr")));
    List<String> lines = Files.readAllLines(out);
    assertEquals(ATTEMPTS, lines.size(), "one line per failed load: " + lines);
    long afterSecond = Long.parseLong(lines.get(1));
    long afterLast = Long.parseLong(lines.getLast());
    long packedPerLoadKb = (long) SHARED_LAYERS * 2 * 4 * H * H * Float.BYTES / 1024;
    // A leak grows by packedPerLoadKb per attempt (10 × 24 MB here); freed memory is reused by the next load.
    assertTrue(afterLast - afterSecond < 3 * packedPerLoadKb, "resident memory grew from " + afterSecond
        + " kB to " + afterLast + " kB over " + (ATTEMPTS - 2) + " failed loads; each packs " + packedPerLoadKb
        + " kB: " + lines);
  }

  /** LSTM layers sharing one W/R pair, then a dense layer too large to decode in the probe's heap. */
  private static RillModel modelThatFailsLate() {
    RillModel one = new RandomModels(9).vectorInput(H).lstm(H, Direction.FORWARD, Options.DEFAULT).build();
    RillModel.Builder model = one.toBuilder();
    Layer lstm = one.getLayers(1);
    for (int i = 1; i < SHARED_LAYERS; i++) {
      model.addLayers(lstm.toBuilder().setName(lstm.getName() + "_shared" + i));
    }
    model.addTensors(Tensors.int8("dense.weight", new float[DENSE_ROWS * H], DENSE_ROWS, H));
    model.addLayers(Layer.newBuilder().setName("dense").setDense(DenseLayer.newBuilder().setInputSize(H)
        .setOutputSize(DENSE_ROWS).setWeight("dense.weight").setActivation(OutputActivation.NONE)));
    model.setIo(IoSpec.newBuilder(one.getIo()).setOutputSize(DENSE_ROWS));
    return model.build();
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
