package dev.rill.converter.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rill.converter.ImportedModels;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the ONNX importer with arbitrary file contents. The contract: a malformed or unsupported file fails with
 * an {@link OnnxImportException}, and what imports is a valid Rill model. Anything else propagates and is a finding.
 * Without {@code JAZZER_FUZZ=1} it runs once per committed input under
 * {@code src/test/resources/dev/rill/converter/onnx/OnnxImporterFuzzTestInputs/importBytes/}.
 */
class OnnxImporterFuzzTest {

  /** One folder per JVM: the importer reads files, and external data may only come from the model's folder. */
  private static final Path DIR = ImportedModels.fuzzDirectory("rill-onnx-fuzz");

  @FuzzTest(maxDuration = "5m")
  void importBytes(byte[] onnx) throws IOException {
    Path file = Files.write(DIR.resolve("model.onnx"), onnx);
    RillModel model;
    try {
      model = OnnxImporter.importModel(file);
    } catch (OnnxImportException expected) {
      return; // the documented outcome of a malformed or unsupported file
    }
    ImportedModels.assertValid(model);
  }
}
