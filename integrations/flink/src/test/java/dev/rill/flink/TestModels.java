package dev.rill.flink;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The model files of the tests. */
final class TestModels {

  private TestModels() {
  }

  /** The bundled Silero VAD LSTM (input 128, LSTM 128), a real pretrained layer. */
  static Path sileroVad() {
    String root = System.getProperty("rill.repo.root", "../..");
    Path path = Path.of(root, "examples", "silero_vad_lstm.rill");
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("the bundled model is missing: " + path.toAbsolutePath());
    }
    return path;
  }

  /** LSTM 6 then GRU 5 then dense 3: two recurrent layers, one with a cell state and one without. */
  static RillModel lstmGru(int seed) {
    return new RandomModels(seed).vectorInput(4).lstm(6, Direction.FORWARD, Options.DEFAULT.withPeepholes())
        .gru(5, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset()).dense(3, OutputActivation.NONE).build();
  }

  /** Input 4 like {@link #lstmGru} but one RNN layer of 7. */
  static RillModel rnn(int seed) {
    return new RandomModels(seed).vectorInput(4).rnn(7, Direction.FORWARD, Options.DEFAULT)
        .dense(3, OutputActivation.NONE).build();
  }

  /** Writes {@code model} as a {@code .rill} file in {@code dir}. */
  static Path write(Path dir, String name, RillModel model) {
    try {
      return Files.write(dir.resolve(name + ".rill"), model.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
