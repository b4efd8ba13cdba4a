package dev.rill.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.flink.Harnesses.Backend;
import dev.rill.format.proto.RillModel;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A checkpoint restores with the model it was taken with (also from another file whose metadata differs), and
 * fails with the serializer snapshot's message naming both models with any other: never one model's state fed
 * to another.
 */
class ModelChangeTest {

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(Backend.class)
  void otherWeightsOfTheSameShapesAreRefused(Backend backend) throws Exception {
    OperatorSubtaskState snapshot = snapshotWith(TestModels.write(dir, "a", TestModels.lstmGru(1)), backend);
    Throwable failure = restoreWith(TestModels.write(dir, "b", TestModels.lstmGru(2)), backend, snapshot);
    String message = rillMessage(failure);
    assertTrue(message.contains("the checkpoint holds the Rill recurrent states of another model than this job's"),
        message);
    assertTrue(message.contains("has layers of the same shapes as this job's model but other weights (SHA-256 "),
        message);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void otherLayerShapesAreRefused(Backend backend) throws Exception {
    OperatorSubtaskState snapshot = snapshotWith(TestModels.write(dir, "a", TestModels.lstmGru(1)), backend);
    Throwable failure = restoreWith(TestModels.write(dir, "c", TestModels.rnn(1)), backend, snapshot);
    String message = rillMessage(failure);
    assertTrue(message.contains("the checkpoint's model has the recurrent layers [LSTM 'lstm0' (D=1, X=4, H=6), "
        + "GRU 'gru1' (D=1, X=6, H=5)], this job's model [RNN 'rnn0' (D=1, X=4, H=7)]"), message);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void theSameModelRestoresWhateverItsFileAndMetadata(Backend backend) throws Exception {
    RillModel model = TestModels.lstmGru(1);
    OperatorSubtaskState snapshot = snapshotWith(TestModels.write(dir, "a", model), backend);
    RillModel relabelled = model.toBuilder().putMetadata("description", "the same weights, described").build();
    RillConfig<Reading> config = RillConfig.builder(TestModels.write(dir, "copy", relabelled), Reading::features)
        .build();
    try (var restored = Harnesses.create(config, backend, 1, 0)) {
      restored.initializeState(snapshot);
      restored.open();
      restored.processElement(Streams.reading(0, 1, 4), 1);
      assertEquals(1, restored.extractOutputValues().size());
    }
  }

  private static OperatorSubtaskState snapshotWith(Path model, Backend backend) throws Exception {
    RillConfig<Reading> config = RillConfig.builder(model, Reading::features).build();
    try (var harness = Harnesses.open(config, backend)) {
      Harnesses.feed(harness, List.of(Streams.reading(0, 0, 4), Streams.reading(1, 0, 4)));
      return harness.snapshot(1, 1);
    }
  }

  private static Throwable restoreWith(Path model, Backend backend, OperatorSubtaskState snapshot) throws Exception {
    RillConfig<Reading> config = RillConfig.builder(model, Reading::features).build();
    try (var restored = Harnesses.create(config, backend, 1, 0)) {
      restored.initializeState(snapshot);
      return assertThrows(Exception.class, restored::open);
    }
  }

  /** The message of the serializer snapshot's exception, wherever Flink wrapped it. */
  private static String rillMessage(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().contains("Rill")) {
        return t.getMessage();
      }
    }
    throw new AssertionError("no Rill message in the failure", failure);
  }
}
