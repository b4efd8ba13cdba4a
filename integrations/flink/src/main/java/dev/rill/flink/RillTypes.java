package dev.rill.flink;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.OutputTag;

/**
 * Flink type information of Rill's outputs, as POJOs (records) with the job's key and event types, so that
 * neither is serialized with Kryo.
 */
public final class RillTypes {

  /** The id of the side output of rejected events. */
  public static final String REJECTED_ID = "rill-rejected";

  private RillTypes() {
  }

  /** The type of {@link RillOutput} with keys of {@code keyType}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <K> TypeInformation<RillOutput<K>> output(TypeInformation<K> keyType) {
    return (TypeInformation) Types.POJO(RillOutput.class, Map.of("key", keyType, "timestamp", Types.LONG,
        "output", Types.PRIMITIVE_ARRAY(Types.FLOAT)));
  }

  /** The type of {@link RejectedEvent} with keys of {@code keyType} and events of {@code eventType}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <K, E> TypeInformation<RejectedEvent<K, E>> rejected(TypeInformation<K> keyType,
      TypeInformation<E> eventType) {
    return (TypeInformation) Types.POJO(RejectedEvent.class, Map.of("key", keyType, "timestamp", Types.LONG,
        "event", eventType, "reason", Types.STRING));
  }

  /** The side output of rejected events ({@link #REJECTED_ID}) with these key and event types. */
  public static <K, E> OutputTag<RejectedEvent<K, E>> rejectedTag(TypeInformation<K> keyType,
      TypeInformation<E> eventType) {
    return new OutputTag<>(REJECTED_ID, rejected(keyType, eventType));
  }
}
