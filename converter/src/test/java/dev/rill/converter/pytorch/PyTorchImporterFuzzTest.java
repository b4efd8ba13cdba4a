package dev.rill.converter.pytorch;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rill.converter.ImportedModels;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fuzzes the safetensors importer with two inputs: a JSON architecture spec and a safetensors file. The contract:
 * a malformed file or spec fails with an IOException (SafetensorsFormatException, PyTorchImportException,
 * JsonParseException), and what imports is a valid Rill model. Anything else propagates and is a finding.
 *
 * <p>The input is framed so that seeds are plain files: two bytes (big-endian) give the spec's length, 0 for no
 * spec; the spec's UTF-8 text follows, then the safetensors bytes. Committed inputs are under
 * {@code src/test/resources/dev/rill/converter/pytorch/PyTorchImporterFuzzTestInputs/importWithSpec/}.
 */
class PyTorchImporterFuzzTest {

  private static final Path DIR = ImportedModels.fuzzDirectory("rill-safetensors-fuzz");

  @FuzzTest(maxDuration = "5m")
  void importWithSpec(byte[] input) throws IOException {
    if (input.length < 2) {
      return;
    }
    int specLength = Math.min(((input[0] & 0xff) << 8) | (input[1] & 0xff), input.length - 2);
    Path file = Files.write(DIR.resolve("model.safetensors"), Arrays.copyOfRange(input, 2 + specLength, input.length));
    RillModel model;
    try {
      PyTorchImportOptions options = PyTorchImportOptions.defaults();
      if (specLength > 0) {
        Path specFile = Files.write(DIR.resolve("spec.json"), Arrays.copyOfRange(input, 2, 2 + specLength));
        options = options.withSpec(ArchitectureSpec.read(specFile));
      }
      model = PyTorchImporter.importModel(file, options);
    } catch (IOException expected) {
      return; // the documented outcome: a malformed file or spec, or an architecture the importer cannot settle
    }
    ImportedModels.assertValid(model);
  }
}
