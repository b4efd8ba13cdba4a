package dev.rill.converter.json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict RFC 8259 JSON parser for the headers and spec files that the converter reads.
 *
 * <p>Values map to Java as: object → {@code Map<String, Object>} (insertion order kept, unmodifiable),
 * array → {@code List<Object>} (unmodifiable), string → {@link String}, integer literal →
 * {@link Long}, other number → {@link Double}, {@code true}/{@code false} → {@link Boolean},
 * {@code null} → {@code null}.
 *
 * <p>It is strict on purpose, because its input comes from untrusted files: no comments, no trailing
 * commas, no leading zeros, no unescaped control characters, no lone surrogates, no duplicate keys,
 * and a nesting depth of at most {@link #MAX_DEPTH}. Integers that do not fit in a {@code long} are
 * refused rather than rounded. Every error names the character offset.
 */
public final class Json {

  /** The deepest nesting of arrays and objects accepted; deeper input is refused instead of overflowing the stack. */
  public static final int MAX_DEPTH = 64;

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /**
   * Parses one JSON value that makes up the whole text (surrounding whitespace allowed).
   *
   * @throws JsonParseException if the text is not exactly one valid JSON value
   */
  public static Object parse(String text) throws JsonParseException {
    Json parser = new Json(text);
    parser.skipWhitespace();
    Object value = parser.value(0);
    parser.skipWhitespace();
    if (parser.pos != text.length()) {
      throw parser.error("unexpected " + parser.describeCurrent() + " after the end of the JSON value");
    }
    return value;
  }

  /**
   * Parses text that must be a JSON object.
   *
   * @throws JsonParseException if the text is not valid JSON or its top-level value is not an object
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) throws JsonParseException {
    Object value = parse(text);
    if (!(value instanceof Map)) {
      throw new JsonParseException("expected a JSON object at the top level, found " + typeName(value));
    }
    return (Map<String, Object>) value;
  }

  /** The JSON type name of a parsed value ("object", "array", "string", "number", "boolean" or "null"), for error messages. */
  public static String typeName(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof Map) {
      return "object";
    } else if (value instanceof List) {
      return "array";
    } else if (value instanceof String) {
      return "string";
    } else if (value instanceof Number) {
      return "number";
    } else if (value instanceof Boolean) {
      return "boolean";
    }
    return value.getClass().getSimpleName();
  }

  /** Writes {@code s} as a JSON string literal, with quotes and the escapes JSON requires. */
  public static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  private Object value(int depth) throws JsonParseException {
    if (pos >= text.length()) {
      throw error("unexpected end of input, expected a value");
    }
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object(depth + 1);
      case '[' -> array(depth + 1);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw error("unexpected " + describeCurrent() + ", expected a value");
      }
    };
  }

  private Map<String, Object> object(int depth) throws JsonParseException {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return Collections.unmodifiableMap(map);
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("unexpected " + describeCurrent() + ", expected a string key");
      }
      int keyPos = pos;
      String key = string();
      if (map.containsKey(key)) {
        throw new JsonParseException("duplicate key " + quote(key) + " at offset " + keyPos);
      }
      skipWhitespace();
      expect(':');
      skipWhitespace();
      map.put(key, value(depth));
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == '}') {
        pos++;
        return Collections.unmodifiableMap(map);
      } else {
        throw error("unexpected " + describeCurrent() + ", expected ',' or '}'");
      }
    }
  }

  private List<Object> array(int depth) throws JsonParseException {
    checkDepth(depth);
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(list);
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth));
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == ']') {
        pos++;
        return Collections.unmodifiableList(list);
      } else {
        throw error("unexpected " + describeCurrent() + ", expected ',' or ']'");
      }
    }
  }

  private String string() throws JsonParseException {
    int start = pos;
    pos++; // opening quote
    StringBuilder out = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new JsonParseException("unterminated string starting at offset " + start);
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return out.toString();
      } else if (c == '\\') {
        escape(out);
      } else if (c < 0x20) {
        throw new JsonParseException("unescaped control character 0x" + Integer.toHexString(c) + " in string at offset " + (pos - 1));
      } else if (Character.isSurrogate(c)) {
        // Surrogates can only arrive from a decoded UTF-16 source; keep pairs, refuse halves.
        if (Character.isHighSurrogate(c) && pos < text.length() && Character.isLowSurrogate(text.charAt(pos))) {
          out.append(c).append(text.charAt(pos++));
        } else {
          throw new JsonParseException("lone surrogate in string at offset " + (pos - 1));
        }
      } else {
        out.append(c);
      }
    }
  }

  private void escape(StringBuilder out) throws JsonParseException {
    if (pos >= text.length()) {
      throw error("unexpected end of input in an escape sequence");
    }
    char e = text.charAt(pos++);
    switch (e) {
      case '"' -> out.append('"');
      case '\\' -> out.append('\\');
      case '/' -> out.append('/');
      case 'b' -> out.append('\b');
      case 'f' -> out.append('\f');
      case 'n' -> out.append('\n');
      case 'r' -> out.append('\r');
      case 't' -> out.append('\t');
      case 'u' -> {
        int escapePos = pos - 2;
        char c = hex4();
        if (Character.isHighSurrogate(c)) {
          if (pos + 6 <= text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
              throw new JsonParseException("high surrogate escape not followed by a low surrogate at offset " + escapePos);
            }
            out.append(c).append(low);
          } else {
            throw new JsonParseException("lone surrogate escape at offset " + escapePos);
          }
        } else if (Character.isLowSurrogate(c)) {
          throw new JsonParseException("lone surrogate escape at offset " + escapePos);
        } else {
          out.append(c);
        }
      }
      default -> throw new JsonParseException("invalid escape '\\" + e + "' at offset " + (pos - 2));
    }
  }

  private char hex4() throws JsonParseException {
    if (pos + 4 > text.length()) {
      throw error("unexpected end of input in a \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0) {
        throw new JsonParseException("invalid hex digit in \\u escape at offset " + (pos + i));
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  private Object number() throws JsonParseException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw new JsonParseException("leading zero in number at offset " + start);
      }
    } else if (isDigit(peek())) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw error("expected a digit");
    }
    boolean integral = true;
    if (peek() == '.') {
      integral = false;
      pos++;
      if (!isDigit(peek())) {
        throw error("expected a digit after the decimal point");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("expected a digit in the exponent");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    String literal = text.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException e) {
        throw new JsonParseException("integer " + abbreviate(literal) + " at offset " + start + " does not fit in 64 bits");
      }
    }
    double d = Double.parseDouble(literal);
    if (Double.isInfinite(d)) {
      throw new JsonParseException("number " + abbreviate(literal) + " at offset " + start + " is out of the double range");
    }
    return d;
  }

  private Object literal(String word, Object value) throws JsonParseException {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected " + describeCurrent() + ", expected a value");
    }
    pos += word.length();
    return value;
  }

  private void checkDepth(int depth) throws JsonParseException {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }
  }

  private void expect(char c) throws JsonParseException {
    if (peek() != c) {
      throw error("unexpected " + describeCurrent() + ", expected '" + c + "'");
    }
    pos++;
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        pos++;
      } else {
        return;
      }
    }
  }

  /** The current character, or 0 at the end (0 never starts a valid token, so it fails every check). */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : 0;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private String describeCurrent() {
    if (pos >= text.length()) {
      return "end of input";
    }
    char c = text.charAt(pos);
    return c < 0x20 || c > 0x7e ? String.format("character U+%04X", (int) c) : "'" + c + "'";
  }

  private JsonParseException error(String what) {
    return new JsonParseException(what + " at offset " + pos);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
