package dev.rill.flink;

import static dev.rill.flink.Streams.assertBitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.flink.Harnesses.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rescaling from parallelism 1 to 2 and back to 1 keeps every key's recurrent state: each key's outputs across
 * the three phases equal one session per key run over all its events.
 */
class RescaleTest {

  @TempDir
  static Path dir;

  static Stream<Arguments> cases() {
    Path model = TestModels.write(dir, "lstm-gru", TestModels.lstmGru(8));
    List<RillConfig<Reading>> modes = Harnesses.bothModes(model, 8);
    return Stream.of(Arguments.of(Backend.HASHMAP, "latency", modes.get(0)),
        Arguments.of(Backend.ROCKSDB, "throughput", modes.get(1)));
  }

  @ParameterizedTest(name = "{0}, {1} mode")
  @MethodSource("cases")
  void oneToTwoToOneKeepsEveryKeysState(Backend backend, String mode, RillConfig<Reading> config)
      throws Exception {
    List<Reading> readings = Streams.interleaved(30, 15, 4, 3);
    int third = readings.size() / 3;
    List<Reading> phase1 = readings.subList(0, third);
    List<Reading> phase2 = readings.subList(third, 2 * third);
    List<Reading> phase3 = readings.subList(2 * third, readings.size());
    List<RillOutput<String>> outputs = new ArrayList<>();

    // Parallelism 1.
    OperatorSubtaskState atOne;
    try (var single = Harnesses.open(config, backend)) {
      Harnesses.feed(single, phase1);
      Harnesses.drain(single, 1);
      atOne = single.snapshot(1, 1);
      outputs.addAll(Harnesses.takeOutputs(single));
    }

    // Parallelism 2: each subtask gets its key groups' states, and the events of its keys.
    OperatorSubtaskState[] atTwo = new OperatorSubtaskState[2];
    for (int subtask = 0; subtask < 2; subtask++) {
      try (var part = Harnesses.create(config, backend, 2, subtask)) {
        part.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(atOne,
            Harnesses.MAX_PARALLELISM, 1, 2, subtask));
        part.open();
        int fed = feedOwnKeys(part, phase2, 2, subtask);
        assertTrue(fed > 0, "subtask " + subtask + " owns some keys");
        Harnesses.drain(part, 2);
        atTwo[subtask] = part.snapshot(2, 2);
        List<RillOutput<String>> partOutputs = Harnesses.takeOutputs(part);
        assertEquals(fed, partOutputs.size());
        outputs.addAll(partOutputs);
      }
    }

    // Back to parallelism 1, from both subtasks' states.
    OperatorSubtaskState merged = AbstractStreamOperatorTestHarness.repartitionOperatorState(
        AbstractStreamOperatorTestHarness.repackageState(atTwo), Harnesses.MAX_PARALLELISM, 2, 1, 0);
    try (var single = Harnesses.create(config, backend, 1, 0)) {
      single.initializeState(merged);
      single.open();
      Harnesses.feed(single, phase3);
      single.endInput();
      outputs.addAll(Harnesses.takeOutputs(single));
    }

    assertEquals(readings.size(), outputs.size());
    assertBitwiseEqual(Streams.reference(config.modelPath(), readings), inSeqOrder(outputs));
  }

  private static int feedOwnKeys(KeyedOneInputStreamOperatorTestHarness<String, Reading, RillOutput<String>> harness,
      List<Reading> readings, int parallelism, int subtask) throws Exception {
    int fed = 0;
    for (Reading r : readings) {
      if (KeyGroupRangeAssignment.assignKeyToParallelOperator(r.sensor(), Harnesses.MAX_PARALLELISM, parallelism)
          == subtask) {
        harness.processElement(r, r.seq());
        fed++;
      }
    }
    return fed;
  }

  /** Each key's outputs by the event's seq (its timestamp), whichever phase produced them. */
  private static Map<String, List<float[]>> inSeqOrder(List<RillOutput<String>> outputs) {
    List<RillOutput<String>> sorted = new ArrayList<>(outputs);
    sorted.sort((a, b) -> Long.compare(a.timestamp(), b.timestamp()));
    Map<String, List<float[]>> byKey = new LinkedHashMap<>(Streams.byKey(sorted));
    for (RillOutput<String> out : outputs) {
      assertTrue(out.timestamp() < byKey.get(out.key()).size());
    }
    return byKey;
  }
}
