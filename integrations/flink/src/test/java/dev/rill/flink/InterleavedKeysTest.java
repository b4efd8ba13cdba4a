package dev.rill.flink;

import static dev.rill.flink.Streams.assertBitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.flink.Harnesses.Backend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many keys interleaved through one parallel instance give, for every key, exactly the outputs of one
 * {@code StreamingSession} run alone over that key's events: bit for bit, in both modes.
 */
class InterleavedKeysTest {

  @TempDir
  static Path dir;

  static Stream<Arguments> models() {
    Path lstmGru = TestModels.write(dir, "lstm-gru", TestModels.lstmGru(5));
    return Stream.of(Arguments.of("Silero VAD LSTM 128", TestModels.sileroVad(), 128),
        Arguments.of("LSTM 6 with peepholes, GRU 5, dense 3", lstmGru, 4));
  }

  @ParameterizedTest(name = "{0}, latency mode")
  @MethodSource("models")
  void latencyModeEqualsOneSessionPerKey(String name, Path model, int inputSize) throws Exception {
    RillConfig<Reading> config = RillConfig.builder(model, Reading::features).build();
    run(config, model, inputSize, false);
  }

  @ParameterizedTest(name = "{0}, throughput mode")
  @MethodSource("models")
  void throughputModeEqualsOneSessionPerKey(String name, Path model, int inputSize) throws Exception {
    // 16 events per batch over 40 keys: buffers hold repeated keys and keys of every age.
    RillConfig<Reading> config = RillConfig.builder(model, Reading::features)
        .throughputMode(16, Duration.ofMillis(5)).build();
    run(config, model, inputSize, true);
  }

  private static void run(RillConfig<Reading> config, Path model, int inputSize, boolean timers) throws Exception {
    List<Reading> readings = Streams.interleaved(40, 25, inputSize, 1);
    try (var harness = Harnesses.open(config, Backend.HASHMAP)) {
      long now = 0;
      for (int i = 0; i < readings.size(); i++) {
        Reading r = readings.get(i);
        harness.processElement(r, r.seq());
        if (timers && i % 37 == 36) {
          // A buffer that does not fill up is stepped when its oldest event has waited 5 ms.
          harness.setProcessingTime(now += 10);
        }
      }
      harness.endInput();
      List<StreamRecord<? extends RillOutput<String>>> records = harness.extractOutputStreamRecords();
      assertEquals(readings.size(), records.size(), "one output per event");
      Map<String, Long> lastSeq = new HashMap<>();
      for (StreamRecord<? extends RillOutput<String>> record : records) {
        RillOutput<String> out = record.getValue();
        // The event's timestamp (its seq here) rides on the output and on the record, in order per key.
        assertEquals(out.timestamp(), record.getTimestamp());
        long previous = lastSeq.getOrDefault(out.key(), -1L);
        assertEquals(previous + 1, out.timestamp(), "order of " + out.key());
        lastSeq.put(out.key(), out.timestamp());
      }
      List<RillOutput<String>> outputs = Harnesses.takeOutputs(harness);
      assertBitwiseEqual(Streams.reference(model, readings), Streams.byKey(outputs));
    }
  }

  @Test
  void throughputModeStepsAFullBufferAtOnceAndWaitsOtherwise() throws Exception {
    Path model = TestModels.write(dir, "lstm-gru-buffer", TestModels.lstmGru(6));
    RillConfig<Reading> config = RillConfig.builder(model, Reading::features)
        .throughputMode(4, Duration.ofMillis(20)).build();
    try (var harness = Harnesses.open(config, Backend.HASHMAP)) {
      harness.setProcessingTime(100);
      Harnesses.feed(harness, List.of(Streams.reading(0, 0, 4), Streams.reading(1, 0, 4), Streams.reading(0, 1, 4)));
      assertTrue(harness.extractOutputValues().isEmpty(), "three of four: still buffered");
      harness.setProcessingTime(119);
      assertTrue(harness.extractOutputValues().isEmpty(), "19 ms: still buffered");
      harness.setProcessingTime(120);
      assertEquals(3, harness.extractOutputValues().size(), "20 ms: stepped");
      harness.getOutput().clear();

      Harnesses.feed(harness, List.of(Streams.reading(2, 0, 4), Streams.reading(2, 1, 4), Streams.reading(3, 0, 4),
          Streams.reading(2, 2, 4)));
      assertEquals(4, harness.extractOutputValues().size(), "a full buffer is stepped at once");
      harness.getOutput().clear();

      Harnesses.feed(harness, List.of(Streams.reading(4, 0, 4)));
      harness.processWatermark(1_000);
      assertEquals(1, harness.extractOutputValues().size(), "stepped before the watermark");
      assertEquals(1_000, harness.getCurrentWatermark());
    }
  }
}
