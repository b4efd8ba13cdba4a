package dev.rill.tests;

import dev.rill.cli.CliRun;
import dev.rill.converter.json.Json;
import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.converter.pytorch.SileroVadPyTorchTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Makes the bundled example in {@code examples/} from the shared Silero VAD fixture: the model's LSTM layer
 * converted with the CLI ({@code rill convert silero_vad_16k_op15.onnx --node /model/decoder/rnn/LSTM}), and
 * the 6 golden feature vectors and LSTM outputs of {@code silero_vad_16k_op15.lstm_layer.json} as .npy
 * files. {@code ExamplesTest} checks that the committed files are exactly what this produces; run it with
 * {@code -Drill.examples.regenerate=true} to rewrite them.
 */
public final class ExampleFiles {

  /** The recurrent node of Silero VAD that the example holds. */
  public static final String LSTM_NODE = "/model/decoder/rnn/LSTM";
  /** The example model. */
  public static final String MODEL = "silero_vad_lstm.rill";
  /** Its input: the 6 feature vectors, float32 [6, 128]. */
  public static final String INPUT = "silero_vad_lstm.input.npy";
  /** Its expected output (ONNX Runtime's), float32 [6, 128]. */
  public static final String EXPECTED = "silero_vad_lstm.expected.npy";

  private ExampleFiles() {}

  /**
   * Writes the three example files into {@code outDir}.
   *
   * @param models the shared {@code fixtures/models} folder
   * @param outDir where to write
   */
  public static void generate(Path models, Path outDir) throws IOException {
    CliRun convert = CliRun.of("convert", models.resolve("silero_vad_16k_op15.onnx").toString(), "--node", LSTM_NODE,
        "-o", outDir.resolve(MODEL).toString());
    if (convert.exitCode() != 0) {
      throw new IOException("rill convert failed: " + convert);
    }
    Map<String, Object> golden = Json.parseObject(Files.readString(models.resolve("silero_vad_16k_op15.lstm_layer.json")));
    Npy.write(NpyArray.ofFloats(SileroVadPyTorchTest.values(golden, "inputs", "X"), 6, 128), outDir.resolve(INPUT));
    Npy.write(NpyArray.ofFloats(SileroVadPyTorchTest.values(golden, "outputs", "Y"), 6, 128), outDir.resolve(EXPECTED));
  }
}
