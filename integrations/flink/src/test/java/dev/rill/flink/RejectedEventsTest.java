package dev.rill.flink;

import static dev.rill.flink.Streams.assertBitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.flink.Harnesses.Backend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Events whose features have the wrong length, are missing, or hold NaN or an infinity while the config rejects
 * them go to the side output with the reason, and change no key's state: the good events' outputs equal one
 * session per key over the good events alone. Without rejection, a NaN is stepped as the runtime does.
 */
class RejectedEventsTest {

  @TempDir
  static Path dir;

  static Stream<Arguments> modes() {
    Path model = TestModels.write(dir, "lstm-gru", TestModels.lstmGru(9));
    return Stream.of(
        Arguments.of("latency", RillConfig.builder(model, Reading::features).rejectNonFinite(true).build()),
        Arguments.of("throughput", RillConfig.builder(model, Reading::features).rejectNonFinite(true)
            .throughputMode(4, Duration.ofMillis(5)).build()));
  }

  @ParameterizedTest(name = "{0} mode")
  @MethodSource("modes")
  void badEventsGoToTheSideOutputAndChangeNoState(String mode, RillConfig<Reading> config) throws Exception {
    List<Reading> good = Streams.interleaved(5, 6, 4, 4);
    List<Reading> mixed = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (int i = 0; i < good.size(); i++) {
      Reading r = good.get(i);
      mixed.add(r);
      switch (i % 7) {
        case 2 -> {
          mixed.add(new Reading(r.sensor(), 100 + i, new float[5]));
          reasons.add("the event has 5 features but the model takes 4");
        }
        case 4 -> {
          mixed.add(new Reading(r.sensor(), 100 + i, new float[] {0f, Float.NaN, 1f, 2f}));
          reasons.add("feature 1 of 4 is NaN");
        }
        case 5 -> {
          mixed.add(new Reading(r.sensor(), 100 + i, new float[] {0f, 1f, 2f, Float.NEGATIVE_INFINITY}));
          reasons.add("feature 3 of 4 is -Infinity");
        }
        case 6 -> {
          mixed.add(new Reading(r.sensor(), 100 + i, null));
          reasons.add("no features: the FeatureExtractor returned null");
        }
        default -> {
        }
      }
    }
    try (var harness = Harnesses.open(config, Backend.HASHMAP)) {
      Harnesses.feed(harness, mixed);
      harness.endInput();
      var tag = RillTypes.rejectedTag(Types.STRING, Harnesses.READING);
      List<RejectedEvent<String, Reading>> rejected = new ArrayList<>();
      for (StreamRecord<RejectedEvent<String, Reading>> record : harness.getSideOutput(tag)) {
        rejected.add(record.getValue());
        assertEquals(record.getValue().timestamp(), record.getTimestamp());
      }
      assertEquals(reasons, rejected.stream().map(RejectedEvent::reason).toList());
      for (RejectedEvent<String, Reading> r : rejected) {
        assertEquals(r.event().sensor(), r.key());
        assertTrue(r.event().seq() >= 100, "only the bad events");
      }
      assertBitwiseEqual(Streams.reference(config.modelPath(), good), Streams.byKey(Harnesses.takeOutputs(harness)));
    }
  }

  @ParameterizedTest(name = "{0} mode")
  @MethodSource("modes")
  void withoutRejectionNaNIsSteppedIntoTheState(String mode, RillConfig<Reading> rejecting) throws Exception {
    RillConfig.Builder<Reading> builder = RillConfig.builder(rejecting.modelPath(), Reading::features);
    if (rejecting.mode() == RillConfig.Mode.THROUGHPUT) {
      builder.throughputMode(4, Duration.ofMillis(5));
    }
    try (var harness = Harnesses.open(builder.build(), Backend.HASHMAP)) {
      harness.processElement(new Reading("s", 0, new float[] {Float.NaN, 0f, 0f, 0f}), 0);
      harness.processElement(new Reading("s", 1, new float[] {0f, 0f, 0f, 0f}), 1);
      harness.endInput();
      List<RillOutput<String>> outputs = Harnesses.takeOutputs(harness);
      assertEquals(2, outputs.size());
      assertTrue(Float.isNaN(outputs.get(1).output()[0]), "the NaN stayed in the key's state");
    }
  }
}
