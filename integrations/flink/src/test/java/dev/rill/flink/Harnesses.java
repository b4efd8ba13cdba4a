package dev.rill.flink;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/** Flink's keyed operator test harness around Rill, in either mode, on either state backend. */
final class Harnesses {

  static final TypeInformation<Reading> READING = TypeInformation.of(Reading.class);
  static final int MAX_PARALLELISM = 128;

  /** The state backends the tests run on. */
  enum Backend {
    HASHMAP, ROCKSDB;

    StateBackend create() {
      return this == HASHMAP ? new HashMapStateBackend() : new EmbeddedRocksDBStateBackend();
    }
  }

  private Harnesses() {
  }

  /** An opened harness of the only subtask, with no restored state. */
  static KeyedOneInputStreamOperatorTestHarness<String, Reading, RillOutput<String>> open(RillConfig<Reading> config,
      Backend backend) throws Exception {
    var harness = create(config, backend, 1, 0);
    harness.open();
    return harness;
  }

  /** A harness, not yet initialized: call {@code initializeState} (or {@code open}) next. */
  static KeyedOneInputStreamOperatorTestHarness<String, Reading, RillOutput<String>> create(
      RillConfig<Reading> config, Backend backend, int parallelism, int subtask) throws Exception {
    OneInputStreamOperator<Reading, RillOutput<String>> operator = config.mode() == RillConfig.Mode.LATENCY
        ? new KeyedProcessOperator<>(RillFunction.of(config, Types.STRING, READING))
        : new RillBatchOperator<>(config, Types.STRING, READING);
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, Reading::sensor, Types.STRING,
        MAX_PARALLELISM, parallelism, subtask);
    harness.setStateBackend(backend.create());
    return harness;
  }

  /** Feeds readings with their seq as the timestamp. */
  static void feed(KeyedOneInputStreamOperatorTestHarness<String, Reading, RillOutput<String>> harness,
      List<Reading> readings) throws Exception {
    for (Reading r : readings) {
      harness.processElement(r, r.seq());
    }
  }

  /** Steps whatever a throughput-mode operator still buffers, as the runtime does before a checkpoint barrier. */
  static void drain(KeyedOneInputStreamOperatorTestHarness<String, Reading, RillOutput<String>> harness,
      long checkpointId) throws Exception {
    harness.prepareSnapshotPreBarrier(checkpointId);
  }

  /** The outputs so far, and clears them. */
  static List<RillOutput<String>> takeOutputs(
      KeyedOneInputStreamOperatorTestHarness<String, Reading, RillOutput<String>> harness) {
    List<RillOutput<String>> outputs = new ArrayList<>();
    for (StreamRecord<? extends RillOutput<String>> record : harness.extractOutputStreamRecords()) {
      outputs.add(record.getValue());
    }
    harness.getOutput().clear();
    return outputs;
  }

  /** The configurations of both modes for a model; throughput mode buffers up to {@code maxEvents}. */
  static List<RillConfig<Reading>> bothModes(Path model, int maxEvents) {
    return List.of(RillConfig.builder(model, Reading::features).build(),
        RillConfig.builder(model, Reading::features).throughputMode(maxEvents, Duration.ofMillis(5)).build());
  }
}
