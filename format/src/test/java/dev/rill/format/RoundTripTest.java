package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Write, read back (from a file, bytes and a stream) and compare for equality, for every layer kind. */
class RoundTripTest {
  @TempDir Path dir;

  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of("lstm", TestModels.lstm()),
        Arguments.of("lstm with peepholes, clip, input_forget, activations, bidirectional", TestModels.lstmFull()),
        Arguments.of("embedding, vocabulary, gru linear_before_reset=true", TestModels.tokens()),
        Arguments.of("gru linear_before_reset=false, reverse", gru(false, Direction.REVERSE)),
        Arguments.of("gru linear_before_reset=true, bidirectional", gru(true, Direction.BIDIRECTIONAL)),
        Arguments.of("minimal_gru forward", minimalGru(Direction.FORWARD)),
        Arguments.of("minimal_gru bidirectional", minimalGru(Direction.BIDIRECTIONAL)),
        Arguments.of("rnn relu, reverse", rnnRelu(Direction.REVERSE)),
        Arguments.of("rnn tanh default, bidirectional, stacked", stacked()),
        Arguments.of("bf16 weights", weights(DataType.BFLOAT16)),
        Arguments.of("int8 weights", weights(DataType.INT8)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void roundTrips(String name, RillModel model) throws Exception {
    Path file = dir.resolve("m" + ModelFormat.FILE_EXTENSION);
    ModelWriter.write(model, file);
    ModelReader reader = new ModelReader();
    assertEquals(model, reader.read(file));
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(model, reader.read(bytes));
    assertEquals(model, reader.read(new ByteArrayInputStream(bytes)));
  }

  @ParameterizedTest
  @EnumSource(OutputActivation.class)
  void denseWithEachOutputActivation(OutputActivation activation) throws Exception {
    if (activation == OutputActivation.UNRECOGNIZED) {
      return;
    }
    Random rnd = new Random(activation.getNumber());
    RillModel model = ModelBuilder.create().input(3)
        .dense("hidden", 4, TestModels.random(rnd, 12), TestModels.random(rnd, 4), OutputActivation.OUTPUT_TANH)
        .dense("out", 2, TestModels.random(rnd, 8), TestModels.random(rnd, 2), activation)
        .metadata("activation", activation.name())
        .build();
    Path file = dir.resolve("dense.rill");
    ModelWriter.write(model, file);
    RillModel read = new ModelReader().read(file);
    assertEquals(model, read);
    assertEquals(activation, read.getLayers(2).getDense().getActivation());
    assertEquals(activation.name(), read.getMetadataOrThrow("activation"));
  }

  private static RillModel gru(boolean linearBeforeReset, Direction direction) {
    Random rnd = new Random(10);
    int d = GateLayout.directions(direction);
    return ModelBuilder.create().input(2)
        .gru("gru0", direction, 3, TestModels.random(rnd, d * 9 * 2), TestModels.random(rnd, d * 9 * 3),
            TestModels.random(rnd, d * 18), linearBeforeReset)
        .activations(activationsFor(d, ActivationKind.SIGMOID, ActivationKind.TANH))
        .dense("out", 1, TestModels.random(rnd, d * 3), null, OutputActivation.OUTPUT_SIGMOID)
        .build();
  }

  private static RillModel minimalGru(Direction direction) {
    Random rnd = new Random(11);
    int d = GateLayout.directions(direction);
    return ModelBuilder.create().input(2)
        .minimalGru("mgru0", direction, 3, TestModels.random(rnd, d * 6 * 2), TestModels.random(rnd, d * 6 * 3),
            null)
        .dense("out", 2, TestModels.random(rnd, 2 * d * 3), null, OutputActivation.NONE)
        .build();
  }

  private static RillModel rnnRelu(Direction direction) {
    Random rnd = new Random(12);
    return ModelBuilder.create().input(2)
        .rnn("rnn0", direction, 3, TestModels.random(rnd, 6), TestModels.random(rnd, 9), TestModels.random(rnd, 6))
        .activations(ModelBuilder.activation(ActivationKind.RELU))
        .clip(10f)
        .dense("out", 2, TestModels.random(rnd, 6), null, OutputActivation.NONE)
        .build();
  }

  private static RillModel stacked() {
    Random rnd = new Random(13);
    return ModelBuilder.create().input(2)
        .rnn("rnn0", Direction.BIDIRECTIONAL, 3, TestModels.random(rnd, 12), TestModels.random(rnd, 18), null)
        .lstm("lstm1", Direction.FORWARD, 2, TestModels.random(rnd, 8 * 6), TestModels.random(rnd, 16),
            TestModels.random(rnd, 16))
        .dense("out", 2, TestModels.random(rnd, 4), null, OutputActivation.NONE)
        .io("features", "scores", "2 features in, 2 scores out")
        .build();
  }

  private static RillModel weights(DataType dtype) {
    Random rnd = new Random(14);
    return ModelBuilder.create().weightType(dtype).embedding(4, 2, TestModels.random(rnd, 8))
        .lstm("lstm0", Direction.FORWARD, 2, TestModels.random(rnd, 16), TestModels.random(rnd, 16), null)
        .dense("out", 4, TestModels.random(rnd, 8), null, OutputActivation.SOFTMAX)
        .build();
  }

  private static dev.rill.format.proto.Activation[] activationsFor(int directions, ActivationKind... kinds) {
    var out = new dev.rill.format.proto.Activation[directions * kinds.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = ModelBuilder.activation(kinds[i % kinds.length]);
    }
    return out;
  }
}
