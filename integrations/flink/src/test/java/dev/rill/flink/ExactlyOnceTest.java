package dev.rill.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serial;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A job on a MiniCluster, with checkpoints every 50 ms and a failure injected after a checkpoint and before the
 * next, writes exactly the outputs of a failure-free run into an idempotent sink: one output per event, each
 * equal bit for bit to one session per key over the key's events, and every output replayed after the restore
 * equal to the one written before the failure. The job restores from the checkpoint, not from the start.
 */
class ExactlyOnceTest {

  private static final int KEYS = 24;
  private static final int EVENTS = 2_400;
  private static final int INPUT_SIZE = 128;

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static Stream<Arguments> cases() {
    Path model = TestModels.sileroVad();
    return Stream.of(
        Arguments.of("latency mode, hashmap", "hashmap", RillConfig.builder(model, Reading::features).build()),
        Arguments.of("throughput mode, RocksDB", "rocksdb", RillConfig.builder(model, Reading::features)
            .throughputMode(32, Duration.ofMillis(10)).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failureBetweenCheckpointsGivesTheOutputsOfAFailureFreeRun(String name, String backend,
      RillConfig<Reading> config) throws Exception {
    FailOnceBetweenCheckpoints.reset();
    IdempotentSink.reset();

    Configuration conf = new Configuration();
    conf.set(StateBackendOptions.STATE_BACKEND, backend);
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(50));
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(10));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(2);

    // One source instance keeps each key's events in order.
    DataGeneratorSource<Reading> source = new DataGeneratorSource<>(new ReadingAt(), EVENTS, Harnesses.READING);
    DataStream<Reading> readings = env.fromSource(source,
        WatermarkStrategy.<Reading>forMonotonousTimestamps().withTimestampAssigner((r, ts) -> index(r)), "readings")
        .setParallelism(1);
    Rill.Result<String, Reading> rill = Rill.process(readings.keyBy(Reading::sensor), config);
    rill.outputs().uid("rill")
        .map(new FailOnceBetweenCheckpoints()).returns(RillTypes.output(Types.STRING))
        .sinkTo(new IdempotentSink());
    env.execute(name);

    assertTrue(FailOnceBetweenCheckpoints.FAILED.get(), "no failure was injected: the last checkpoint was "
        + FailOnceBetweenCheckpoints.LAST_CHECKPOINT.get() + ", " + IdempotentSink.WRITES.get() + " outputs written");
    long resumedAt = ReadingAt.FIRST_AFTER_FAILURE.get();
    assertTrue(resumedAt > 0 && resumedAt < EVENTS, "the source resumed from a checkpoint, not from the start: "
        + "the first event generated after the failure was " + resumedAt);
    assertTrue(IdempotentSink.WRITES.get() > EVENTS, "outputs after the checkpoint were replayed");
    assertEquals(List.of(), IdempotentSink.CONFLICTS, "a replayed output differs from the one written before");
    assertEquals(EVENTS, IdempotentSink.STORE.size(), "one output per event");

    List<Reading> all = new ArrayList<>();
    for (long i = 0; i < EVENTS; i++) {
      all.add(ReadingAt.of(i));
    }
    Map<String, List<float[]>> written = new TreeMap<>();
    new TreeMap<>(IdempotentSink.STORE).forEach((slot, output) -> written.computeIfAbsent(
        slot.substring(0, slot.indexOf('@')), k -> new ArrayList<>()).add(output));
    Streams.assertBitwiseEqual(new TreeMap<>(Streams.reference(config.modelPath(), all)), written);
  }

  /** The global index of a reading: its timestamp, and its place in the sink's order. */
  static long index(Reading r) {
    return r.seq() * KEYS + Integer.parseInt(r.sensor().substring("sensor-".length()));
  }

  /**
   * Event {@code i}: key {@code i % KEYS}, the {@code i / KEYS}-th of that key. Until the failure, events come
   * slowly (200 a second until checkpoint 2 completes, then 1,000), so that checkpoints complete mid-stream
   * however slowly the job starts on a loaded machine; after it, as fast as the job goes.
   */
  static final class ReadingAt implements GeneratorFunction<Long, Reading> {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The lowest index generated since the failure: where the restored source started. */
    static final AtomicLong FIRST_AFTER_FAILURE = new AtomicLong(Long.MAX_VALUE);

    static Reading of(long i) {
      return Streams.reading((int) (i % KEYS), i / KEYS, INPUT_SIZE);
    }

    @Override
    public Reading map(Long i) throws InterruptedException {
      if (FailOnceBetweenCheckpoints.FAILED.get()) {
        FIRST_AFTER_FAILURE.accumulateAndGet(i, Math::min);
      } else {
        Thread.sleep(FailOnceBetweenCheckpoints.LAST_CHECKPOINT.get() < 2 ? 5 : 1);
      }
      return of(i);
    }
  }

  /**
   * Throws once, in the middle of a checkpoint interval: once checkpoint 2 has completed, 30 outputs after the
   * last completed checkpoint.
   */
  static final class FailOnceBetweenCheckpoints extends RichMapFunction<RillOutput<String>, RillOutput<String>>
      implements CheckpointListener {
    @Serial
    private static final long serialVersionUID = 1L;

    static final AtomicBoolean FAILED = new AtomicBoolean();
    static final AtomicLong LAST_CHECKPOINT = new AtomicLong();
    static final AtomicInteger SINCE_CHECKPOINT = new AtomicInteger();

    static void reset() {
      FAILED.set(false);
      LAST_CHECKPOINT.set(0);
      SINCE_CHECKPOINT.set(0);
      ReadingAt.FIRST_AFTER_FAILURE.set(Long.MAX_VALUE);
    }

    @Override
    public RillOutput<String> map(RillOutput<String> output) {
      if (!FAILED.get() && LAST_CHECKPOINT.get() >= 2 && SINCE_CHECKPOINT.incrementAndGet() >= 30
          && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("failure injected between checkpoints");
      }
      return output;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      if (LAST_CHECKPOINT.getAndAccumulate(checkpointId, Math::max) < checkpointId) {
        SINCE_CHECKPOINT.set(0);
      }
    }
  }

  /**
   * Writes each output under its key and timestamp, so a replayed output overwrites its earlier copy; a replay
   * that differs from the copy is recorded as a conflict.
   */
  static final class IdempotentSink implements Sink<RillOutput<String>> {
    @Serial
    private static final long serialVersionUID = 1L;

    static final Map<String, float[]> STORE = new ConcurrentHashMap<>();
    static final List<String> CONFLICTS = Collections.synchronizedList(new ArrayList<>());
    static final AtomicInteger WRITES = new AtomicInteger();

    static void reset() {
      STORE.clear();
      CONFLICTS.clear();
      WRITES.set(0);
    }

    @Override
    public SinkWriter<RillOutput<String>> createWriter(WriterInitContext context) {
      return new SinkWriter<>() {
        @Override
        public void write(RillOutput<String> output, Context context) {
          WRITES.incrementAndGet();
          // Zero-padded index: the store's order is the events' order.
          String slot = output.key() + "@" + String.format("%08d", output.timestamp());
          float[] before = STORE.put(slot, output.output().clone());
          if (before != null && !Arrays.equals(before, output.output())) {
            CONFLICTS.add(slot);
          }
        }

        @Override
        public void flush(boolean endOfInput) {
        }

        @Override
        public void close() {
        }
      };
    }
  }
}
