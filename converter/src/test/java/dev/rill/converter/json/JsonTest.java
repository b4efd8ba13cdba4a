package dev.rill.converter.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void parsesEveryValueKindKeepingKeyOrder() throws Exception {
    Map<String, Object> m = Json.parseObject(
        " {\"b\": [1, -2, 3.5, 1e2, -0.25E-1], \"a\": {\"t\": true, \"f\": false, \"n\": null}, \"s\": \"x\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\"} ");
    assertEquals(List.of("b", "a", "s"), List.copyOf(m.keySet()));
    assertEquals(List.of(1L, -2L, 3.5, 100.0, -0.025), m.get("b"));
    @SuppressWarnings("unchecked")
    Map<String, Object> a = (Map<String, Object>) m.get("a");
    assertEquals(Boolean.TRUE, a.get("t"));
    assertEquals(Boolean.FALSE, a.get("f"));
    assertTrue(a.containsKey("n"));
    assertNull(a.get("n"));
    assertEquals("x\"\\/\n\u00e9\uD83D\uDE00", m.get("s"));
  }

  @Test
  void quoteRoundTrips() throws Exception {
    String s = "a\"b\\c\n\t\u0001é";
    assertEquals(s, Json.parse(Json.quote(s)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"a\": 1,}|unexpected '}', expected a string key at offset 8",
      "[1, 2,]|unexpected ']', expected a value at offset 6",
      "{\"a\": 1} x|after the end of the JSON value",
      "{\"a\": 01}|leading zero in number at offset 6",
      "{\"a\": 1, \"a\": 2}|duplicate key \"a\" at offset 9",
      "{\"a\": 99999999999999999999}|does not fit in 64 bits",
      "{\"a\": \"x|unterminated string starting at offset 6",
      "{\"a\": \"\\x\"}|invalid escape '\\x' at offset 7",
      "{\"a\": \"\\ud800\"}|lone surrogate escape at offset 7",
      "{\"a\": tru}|expected a value at offset 6",
      "{\"a\" 1}|expected ':' at offset 5",
      "// c|expected a value at offset 0",
      "|unexpected end of input, expected a value at offset 0",
      "{\"a\": 1.}|expected a digit after the decimal point",
      "{\"a\": 1e999}|out of the double range",
      "[1, 2|unexpected end of input, expected ',' or ']' at offset 5",
  })
  void rejectsMalformedInputNamingTheProblem(String text, String message) {
    JsonParseException e = assertThrows(JsonParseException.class, () -> Json.parse(text == null ? "" : text));
    assertTrue(e.getMessage().contains(message), () -> "message was: " + e.getMessage());
  }

  @Test
  void rejectsControlCharactersInStrings() {
    JsonParseException e = assertThrows(JsonParseException.class, () -> Json.parse("\"a\nb\""));
    assertTrue(e.getMessage().contains("unescaped control character 0xa"), e.getMessage());
  }

  @Test
  void refusesDeepNestingInsteadOfOverflowingTheStack() {
    String deep = "[".repeat(100_000);
    JsonParseException e = assertThrows(JsonParseException.class, () -> Json.parse(deep));
    assertTrue(e.getMessage().contains("nesting deeper than 64 levels"), e.getMessage());
  }

  @Test
  void parseObjectRefusesOtherTopLevelValues() {
    JsonParseException e = assertThrows(JsonParseException.class, () -> Json.parseObject("[1]"));
    assertEquals("expected a JSON object at the top level, found array", e.getMessage());
  }
}
