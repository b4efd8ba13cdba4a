package dev.rill.converter.onnx;

import static dev.rill.converter.onnx.OnnxModels.attr;
import static dev.rill.converter.onnx.OnnxModels.floats;
import static dev.rill.converter.onnx.OnnxModels.model;
import static dev.rill.converter.onnx.OnnxModels.node;
import static dev.rill.converter.onnx.OnnxModels.random;
import static dev.rill.converter.onnx.OnnxModels.value;
import static dev.rill.converter.onnx.OnnxModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that are not ONNX models, or are broken ones, fail the import with an {@link OnnxImportException}
 * that names the file and what is wrong; never with a protobuf, index or out-of-memory error.
 */
class MalformedOnnxFileTest {

  @TempDir
  Path dir;

  /** A valid model with one RNN node (X=3, H=2) and its weights as initializers. */
  private static ModelProto validRnn() {
    Random rnd = new Random(7);
    GraphProto graph = GraphProto.newBuilder().setName("g")
        .addNode(node("RNN", "rnn", List.of("X", "W", "R", "B"), List.of("Y"), attr("hidden_size", 2L)))
        .addInitializer(floats("W", random(rnd, 6, 1f), 1, 2, 3))
        .addInitializer(floats("R", random(rnd, 4, 1f), 1, 2, 2))
        .addInitializer(floats("B", random(rnd, 4, 1f), 1, 4))
        .addInput(value("X", 1, "T", 1L, 3L))
        .addOutput(value("Y", 1, "T", 1L, 1L, 2L))
        .build();
    return model(graph, 14);
  }

  @Test
  void theValidModelImports() throws Exception {
    // Guards the cases below: they fail because of what they break, not because the base model is bad.
    Path file = write(dir, "ok.onnx", validRnn());
    assertEquals(2, OnnxImporter.importModel(file).getIo().getOutputSize());
  }

  @Test
  void emptyFile() throws Exception {
    Path file = Files.write(dir.resolve("empty.onnx"), new byte[0]);
    assertFails(file, "empty.onnx is empty");
  }

  @Test
  void truncatedFileAtEveryCut() throws Exception {
    byte[] bytes = validRnn().toByteArray();
    // Every prefix is either refused with a clear message or (where the cut falls between fields) still a
    // well-formed message that the importer then refuses for what it lacks; none may escape as another error.
    for (int cut = 1; cut < bytes.length; cut++) {
      Path file = Files.write(dir.resolve("cut.onnx"), Arrays.copyOf(bytes, cut));
      OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(file),
          "a file cut to " + cut + " bytes imported");
      assertTrue(e.getMessage() != null && e.getMessage().length() > 20, "cut " + cut + ": " + e.getMessage());
    }
    Path file = Files.write(dir.resolve("half.onnx"), Arrays.copyOf(bytes, bytes.length / 2));
    assertFails(file, "half.onnx is not a valid ONNX model (truncated or corrupt protobuf");
  }

  @Test
  void randomBytes() throws Exception {
    Random rnd = new Random(42);
    for (int i = 0; i < 50; i++) {
      byte[] junk = new byte[1 + rnd.nextInt(4096)];
      rnd.nextBytes(junk);
      Path file = Files.write(dir.resolve("junk.onnx"), junk);
      OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(file));
      assertTrue(e.getMessage().contains("junk.onnx"), e.getMessage());
    }
  }

  @Test
  void aTensorFileIsNotAModel() throws Exception {
    Path file = Files.write(dir.resolve("tensor.pb"), floats("W", new float[] {1, 2}, 2).toByteArray());
    assertFails(file, "tensor.pb is not a valid ONNX model");
  }

  @Test
  void hugeDeclaredDimensionsAreRefusedBeforeAllocation() throws Exception {
    ModelProto valid = validRnn();
    GraphProto.Builder graph = valid.getGraph().toBuilder();
    graph.setInitializer(0, graph.getInitializer(0).toBuilder().clearDims()
        .addDims(1).addDims(1L << 40).addDims(1L << 40));
    Path file = write(dir, "huge.onnx", valid.toBuilder().setGraph(graph).build());
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(file));
    assertTrue(e.getMessage().contains("W"), e.getMessage());
  }

  /** The RNN model with one more node on its output Y [T, 1, 1, 2], whose output Z is the graph's output. */
  private static ModelProto withNodeAfterRnn(dev.rill.converter.onnx.proto.NodeProto extra,
      dev.rill.converter.onnx.proto.TensorProto... initializers) {
    ModelProto valid = validRnn();
    GraphProto.Builder graph = valid.getGraph().toBuilder().addNode(extra).clearOutput()
        .addOutput(value("Z", 1, "T", 1L, 2L));
    for (var t : initializers) {
      graph.addInitializer(t);
    }
    return valid.toBuilder().setGraph(graph).build();
  }

  @Test
  void attributesThatDoNotFitTheNodesInputAreRefusedNamingTheNode() throws Exception {
    var cases = java.util.Map.of(
        withNodeAfterRnn(node("Transpose", "short_perm", List.of("Y"), List.of("Z"), OnnxModels.ints("perm", 0))),
        "perm [0] is not a permutation of rank 4",
        withNodeAfterRnn(node("Transpose", "repeated_perm", List.of("Y"), List.of("Z"),
            OnnxModels.ints("perm", 0, 0, 1, 2))), "is not a permutation",
        withNodeAfterRnn(node("Unsqueeze", "repeated_axes", List.of("Y"), List.of("Z"),
            OnnxModels.ints("axes", 1, 1))), "name axis 1 twice",
        withNodeAfterRnn(node("Flatten", "far_axis", List.of("Y"), List.of("Z"), attr("axis", 9L))),
        "axis 9 out of range",
        withNodeAfterRnn(node("Reshape", "copy_missing_dim", List.of("Y", "shape"), List.of("Z")),
            OnnxModels.int64s("shape", new long[] {-1, 0, 0, 0, 0, 0}, 6)), "cannot follow reshape");
    for (var c : cases.entrySet()) {
      String name = c.getKey().getGraph().getNode(1).getName();
      Path file = write(dir, name + ".onnx", c.getKey());
      OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(file), name);
      assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains(c.getValue()),
          () -> name + ": " + e.getMessage());
    }
  }

  @Test
  void missingFile() {
    assertFails(dir.resolve("absent.onnx"), "absent.onnx not found");
  }

  private static void assertFails(Path file, String fragment) {
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(file));
    assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
  }
}
