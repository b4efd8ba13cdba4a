package dev.rill.flink;

import static dev.rill.flink.Streams.assertBitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rill.flink.Harnesses.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A snapshot taken mid-stream and restored into a new operator continues every key bit for bit: the restored
 * operator's outputs equal both the uninterrupted operator's and one session per key, on the hashmap and the
 * RocksDB state backends, in both modes.
 */
class SnapshotRestoreTest {

  @TempDir
  static Path dir;

  static Stream<Arguments> cases() {
    Path model = TestModels.write(dir, "lstm-gru", TestModels.lstmGru(7));
    List<Arguments> cases = new ArrayList<>();
    for (Backend backend : Backend.values()) {
      for (RillConfig<Reading> config : Harnesses.bothModes(model, 8)) {
        cases.add(Arguments.of(backend, config.mode(), config));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}, {1} mode")
  @MethodSource("cases")
  void restoredOperatorContinuesBitForBit(Backend backend, RillConfig.Mode mode, RillConfig<Reading> config)
      throws Exception {
    List<Reading> readings = Streams.interleaved(25, 12, 4, 2);
    int half = readings.size() / 2 + 3;
    List<Reading> before = readings.subList(0, half);
    List<Reading> after = readings.subList(half, readings.size());

    List<RillOutput<String>> uninterrupted;
    List<RillOutput<String>> continued;
    try (var original = Harnesses.open(config, backend)) {
      Harnesses.feed(original, before);
      Harnesses.drain(original, 1);
      OperatorSubtaskState snapshot = original.snapshot(1, 1);
      List<RillOutput<String>> first = Harnesses.takeOutputs(original);
      assertEquals(before.size(), first.size(), "every event before the snapshot was stepped");

      Harnesses.feed(original, after);
      original.endInput();
      uninterrupted = Harnesses.takeOutputs(original);

      try (var restored = Harnesses.create(config, backend, 1, 0)) {
        restored.initializeState(snapshot);
        restored.open();
        Harnesses.feed(restored, after);
        restored.endInput();
        continued = Harnesses.takeOutputs(restored);
      }
    }
    assertBitwiseEqual(Streams.byKey(uninterrupted), Streams.byKey(continued));

    // And both equal one session per key over the whole stream, from the snapshot's point on.
    var reference = Streams.reference(config.modelPath(), readings);
    Map<String, List<float[]>> referenceAfter = new LinkedHashMap<>();
    for (Reading r : after) {
      referenceAfter.computeIfAbsent(r.sensor(), s -> new ArrayList<>())
          .add(reference.get(r.sensor()).get((int) r.seq()));
    }
    assertBitwiseEqual(referenceAfter, Streams.byKey(continued));
  }
}
