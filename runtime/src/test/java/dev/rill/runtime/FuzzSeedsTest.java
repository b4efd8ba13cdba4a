package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.ModelFormatException;
import dev.rill.format.ModelReader;
import dev.rill.format.Tensors;
import dev.rill.format.proto.IoSpec;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.FuzzModels;
import dev.rill.runtime.testing.RandomModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The seed inputs of the model fuzz targets: every starting model loads and runs, and the shared-tensor model is
 * refused by the load budget. With {@code -Drill.fuzz.writeSeeds=true} the test first rewrites the seed files of
 * {@link ModelLoadFuzzTest} and of the format module's {@code ModelReaderFuzzTest} (under {@code rill.repo.root}).
 */
class FuzzSeedsTest {

  private static final String LOAD_SEEDS = "runtime/src/test/resources/dev/rill/runtime/ModelLoadFuzzTestInputs/";
  private static final String READ_SEEDS = "format/src/test/resources/dev/rill/format/ModelReaderFuzzTestInputs/readBytes/";

  /** Layers sharing one dense matrix: a 60 kB file whose layers need about 78 MB of packed weights. */
  static RillModel sharedTensorOverBudget() {
    int width = 181;
    RillModel one = new RandomModels(12).vectorInput(width).dense(width, OutputActivation.NONE).build();
    RillModel.Builder model = one.toBuilder();
    for (int i = 0; i < model.getTensorsCount(); i++) {
      var t = model.getTensors(i);
      if (t.getShapeCount() == 2) {
        model.setTensors(i, Tensors.int8(t.getName(), Tensors.toFloats(t), width, width));
      }
    }
    Layer dense = one.getLayers(1);
    for (int i = 1; i < 600; i++) {
      model.addLayers(dense.toBuilder().setName(dense.getName() + "_shared" + i));
    }
    model.setIo(IoSpec.newBuilder(one.getIo()));
    return model.build();
  }

  @Test
  void everyStartingModelLoadsAndRuns() throws IOException {
    writeSeedsIfAsked();
    assertEquals(24, FuzzModels.all().size());
    for (FuzzModels.Named named : FuzzModels.all()) {
      byte[] bytes = named.model().toByteArray();
      new ModelReader().read(bytes);
      try (Model model = Model.load(bytes, LoadOptions.builder().maxWeightBytes(ModelLoadFuzzTest.MAX_WEIGHT_BYTES).build())) {
        assertTrue(model.outputSize() > 0, named.name());
      }
      ModelLoadFuzzTest.loadAndRun(bytes);
      try (InputStream seed = getClass().getResourceAsStream("ModelLoadFuzzTestInputs/loadBytes/" + named.name() + ".rill")) {
        assertTrue(seed != null, "missing seed file " + named.name() + ".rill (run with -Drill.fuzz.writeSeeds=true)");
      }
    }
  }

  @Test
  void layersSharingOneTensorAreRefusedByTheLoadBudget() {
    byte[] bytes = sharedTensorOverBudget().toByteArray();
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> Model.load(bytes, LoadOptions.builder().maxWeightBytes(ModelLoadFuzzTest.MAX_WEIGHT_BYTES).build()));
    assertTrue(e.getMessage().contains("more than the load budget of " + ModelLoadFuzzTest.MAX_WEIGHT_BYTES), e.getMessage());
  }

  private static void writeSeedsIfAsked() throws IOException {
    if (!Boolean.getBoolean("rill.fuzz.writeSeeds")) {
      return;
    }
    Path root = Path.of(System.getProperty("rill.repo.root"));
    Path load = Files.createDirectories(root.resolve(LOAD_SEEDS + "loadBytes"));
    Path read = Files.createDirectories(root.resolve(READ_SEEDS));
    for (FuzzModels.Named named : FuzzModels.all()) {
      Files.write(load.resolve(named.name() + ".rill"), named.model().toByteArray());
      Files.write(read.resolve(named.name() + ".rill"), named.model().toByteArray());
    }
    byte[] shared = sharedTensorOverBudget().toByteArray();
    Files.write(load.resolve("shared_tensor_over_budget.rill"), shared);
    // Inputs of the structure-aware target are choices, not files: random bytes pick models and mutations.
    Path mutated = Files.createDirectories(root.resolve(LOAD_SEEDS + "loadMutatedModel"));
    Random random = new Random(42);
    for (int i = 0; i < FuzzModels.all().size(); i++) {
      byte[] choices = new byte[48];
      random.nextBytes(choices);
      Files.write(mutated.resolve("choices" + i), choices);
    }
  }
}
