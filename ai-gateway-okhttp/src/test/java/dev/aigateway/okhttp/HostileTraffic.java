package dev.aigateway.okhttp;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded generators of malformed and extreme OpenAI traffic: request bodies (truncated JSON, wrong
 * types, huge and odd numbers, deep nesting, huge strings, invalid UTF-8, empty) and response
 * bodies and event streams (truncated, garbage events, huge usage, wrong types, missing fields).
 * The same seed always gives the same traffic.
 */
final class HostileTraffic {

  /** Counts as a backend or an application might write them, most of them out of range. */
  static final String[] NUMBERS = {
    "0",
    "1",
    "7",
    "1024",
    "-1",
    "-0",
    "0.0",
    "1.5",
    "1e3",
    "1E+2",
    "-1e-5",
    "2147483647",
    "2147483648",
    "4294967296",
    "1000000000000",
    "1000000000001",
    "999999999999999999",
    "4611686018427387904",
    "9223372036854775806",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551615",
    "123456789012345678901234567890",
    "1e19",
    "1e308",
    "1e999",
    "-1e999"
  };

  /** Values of the wrong type for a count. */
  static final String[] WRONG_TYPES = {
    "\"12\"", "\"\"", "null", "true", "false", "[]", "[1]", "{}", "{\"a\":1}"
  };

  /** Characters an edited chunk gets: JSON structure, escapes, line ends, non-ASCII. */
  private static final String EDITS = "\"\\{}[],:\n\r0u-e. \u00e9\u0000x9";

  private static final String[] OPERATION_PATHS = {
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/responses",
    "/openai/deployments/dep-1/chat/completions?api-version=2024-10-21"
  };
  private static final String[] TEXTS = {
    "Hello there",
    "",
    " ",
    "日本語のテキスト",
    "emoji \uD83D\uDE00 and marks e\u0301",
    "<|endoftext|>",
    "line\\nbreak\\ttab",
    "\\u0000nul",
    "lone \\ud800 surrogate",
    "quote \\\" and backslash \\\\",
    "\\uDFFF\\uD800 swapped"
  };

  private final Random random;

  HostileTraffic(long seed) {
    this.random = new Random(seed);
  }

  Random random() {
    return random;
  }

  /** A governed path, most often chat. */
  String path() {
    return random.nextInt(3) == 0 ? pick(OPERATION_PATHS) : OPERATION_PATHS[0];
  }

  /** A request body: usually a plausible one with odd members, sometimes broken bytes. */
  byte[] request() {
    int shape = random.nextInt(20);
    byte[] body =
        switch (shape) {
          case 0 -> new byte[0];
          case 1 ->
              utf8(
                  pick(
                      new String[] {
                        " ",
                        "null",
                        "[]",
                        "123",
                        "\"text\"",
                        "{",
                        "}",
                        "{}",
                        "{\"model\":}",
                        "\uFEFF{\"model\":\"gpt-4o\"}",
                        "{\"model\":\"gpt-4o\"} trailing"
                      }));
          case 2 -> utf8(deep(50 + random.nextInt(3000)));
          case 3 -> randomBytes(random.nextInt(300));
          default -> utf8(requestJson());
        };
    return random.nextInt(6) == 0 ? mutate(body) : body;
  }

  private String requestJson() {
    List<String> members = new ArrayList<>();
    maybe(
        members,
        "model",
        pick(
            new String[] {
              "\"gpt-4o\"",
              "\"gpt-4\"",
              "\"\"",
              "\"gpt\\u002d4o\"",
              "null",
              "42",
              "[\"gpt-4o\"]",
              quoted(longText(40))
            }));
    maybe(members, "messages", messages());
    maybe(members, "prompt", random.nextBoolean() ? quoted(text()) : "[1,2,3,[4,5],\"x\"]");
    maybe(members, "input", random.nextBoolean() ? quoted(text()) : messages());
    maybe(members, "instructions", random.nextBoolean() ? quoted(text()) : number());
    for (String field :
        new String[] {"max_tokens", "max_completion_tokens", "max_output_tokens", "n"}) {
      if (random.nextInt(3) == 0) {
        members.add(quoted(field) + ":" + count());
      }
    }
    maybe(
        members,
        "stream",
        pick(new String[] {"true", "true", "true", "false", "\"true\"", "1", "null", "{}"}));
    maybe(
        members,
        "stream_options",
        pick(
            new String[] {
              "{\"include_usage\":true}",
              "{\"include_usage\":false}",
              "{\"include_usage\":\"yes\"}",
              "null",
              "[]",
              "\"x\"",
              "{\"include_usage\":true,\"include_usage\":false}"
            }));
    maybe(
        members,
        "tools",
        pick(
            new String[] {
              "[]",
              "[{\"type\":\"function\",\"function\":" + "{\"name\":\"f\",\"parameters\":{}}}]",
              "[1,\"x\",null]",
              "{}",
              deep(200)
            }));
    maybe(members, "temperature", number());
    if (random.nextInt(4) == 0) {
      members.add(quoted("x" + random.nextInt(100)) + ":" + value(3));
    }
    java.util.Collections.shuffle(members, random);
    return "{" + String.join(random.nextInt(8) == 0 ? " ,\n " : ",", members) + "}";
  }

  private String messages() {
    return switch (random.nextInt(8)) {
      case 0 -> pick(new String[] {"null", "\"hi\"", "{}", "42", "[null,1,\"x\",[]]"});
      case 1 -> "[{\"role\":\"user\",\"content\":" + parts() + "}]";
      default -> {
        StringBuilder list = new StringBuilder("[");
        int count = random.nextInt(4);
        for (int i = 0; i < count; i++) {
          list.append(i == 0 ? "" : ",")
              .append("{\"role\":\"user\",\"content\":")
              .append(random.nextInt(10) == 0 ? value(2) : quoted(text()))
              .append(random.nextInt(5) == 0 ? ",\"name\":" + value(1) : "")
              .append("}");
        }
        yield list.append("]").toString();
      }
    };
  }

  private String parts() {
    return "[{\"type\":\"text\",\"text\":"
        + quoted(text())
        + "},{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"data:x\"}},{\"type\":"
        + value(1)
        + "},{\"text\":"
        + value(1)
        + "},"
        + value(2)
        + "]";
  }

  /** A request count: a number, often out of range, or a value of the wrong type. */
  String count() {
    return random.nextInt(4) == 0 ? pick(WRONG_TYPES) : pick(NUMBERS);
  }

  String number() {
    return pick(NUMBERS);
  }

  /** Any JSON value, at most {@code depth} levels deep. */
  String value(int depth) {
    int kind = random.nextInt(depth <= 0 ? 4 : 6);
    return switch (kind) {
      case 0 -> number();
      case 1 -> quoted(text());
      case 2 -> pick(WRONG_TYPES);
      case 3 -> "null";
      case 4 -> "[" + value(depth - 1) + "," + value(depth - 1) + "]";
      default -> "{\"k\":" + value(depth - 1) + ",\"usage\":" + value(depth - 1) + "}";
    };
  }

  /** A text, now and then a huge one (whitespace-free, or whitespace only). */
  String text() {
    int kind = random.nextInt(500);
    if (kind == 0) {
      return longText(1 + random.nextInt(200_000));
    }
    if (kind < 40) {
      return longText(random.nextInt(kind < 10 ? 5_000 : 600));
    }
    return pick(TEXTS);
  }

  /** A text without line breaks of {@code length} characters, of one of a few hard kinds. */
  String longText(int length) {
    char[] chars = new char[length];
    int kind = random.nextInt(5);
    for (int i = 0; i < length; i++) {
      chars[i] =
          switch (kind) {
            case 0 -> (char) ('a' + random.nextInt(26));
            case 1 -> ' ';
            case 2 -> "!#$%&()*+-/<=>?@^_|~".charAt(random.nextInt(20));
            case 3 -> (char) (0x4E00 + random.nextInt(2000));
            default -> "ab1 ,.".charAt(random.nextInt(6));
          };
    }
    return new String(chars);
  }

  /** Nested arrays and objects, {@code depth} levels deep. */
  static String deep(int depth) {
    StringBuilder json = new StringBuilder(depth * 8);
    for (int i = 0; i < depth; i++) {
      json.append(i % 2 == 0 ? "[" : "{\"messages\":");
    }
    json.append("1");
    for (int i = depth - 1; i >= 0; i--) {
      json.append(i % 2 == 0 ? "]" : "}");
    }
    return json.toString();
  }

  /** A canned backend answer. */
  /**
   * A canned backend answer.
   *
   * @param readSize the most bytes one read of the body returns (0: as many as asked), so that
   *     events arrive split at any byte
   */
  record Answer(int code, String contentType, byte[] body, boolean cutConnection, int readSize) {}

  /** A backend answer to a call that asked for a stream (or not): mostly 200s, odd ones. */
  Answer answer(boolean streamAsked, boolean responsesApi) {
    int code = random.nextInt(12) == 0 ? pick(new int[] {400, 429, 500, 503, 204}) : 200;
    boolean stream = random.nextInt(8) == 0 ? !streamAsked : streamAsked;
    String contentType =
        switch (random.nextInt(12)) {
          case 0 -> null;
          case 1 -> "text/plain";
          case 2 -> stream ? "TEXT/EVENT-STREAM; charset=utf-8" : "application/json; charset=utf-8";
          default -> stream ? "text/event-stream" : "application/json";
        };
    byte[] body =
        stream
            ? utf8(responsesApi ? responsesStream() : chatStream())
            : utf8(document(responsesApi));
    if (random.nextInt(6) == 0) {
      body = mutate(body);
    }
    return new Answer(
        code,
        contentType,
        body,
        random.nextInt(15) == 0,
        random.nextInt(3) == 0 ? 1 + random.nextInt(random.nextBoolean() ? 8 : 300) : 0);
  }

  private String document(boolean responsesApi) {
    return switch (random.nextInt(12)) {
      case 0 -> pick(new String[] {"", "null", "[]", "{", "not json", "{\"usage\":"});
      case 1 -> deep(100 + random.nextInt(2000));
      default ->
          responsesApi
              ? "{\"id\":\"resp_1\",\"model\":\"gpt-4o\",\"output\":[{\"content\":[{\"text\":"
                  + quoted(text())
                  + "}]}]"
                  + usageMember(true)
                  + "}"
              : "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":"
                  + value(0)
                  + ",\"choices\":"
                  + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                  + quoted(text())
                  + "}}]"
                  + usageMember(false)
                  + "}";
    };
  }

  /** A {@code ,"usage":...} member (or nothing) with counts of every kind, often absurd. */
  private String usageMember(boolean responsesApi) {
    if (random.nextInt(8) == 0) {
      return "";
    }
    if (random.nextInt(8) == 0) {
      return ",\"usage\":" + pick(WRONG_TYPES);
    }
    return ",\"usage\":" + usage(responsesApi);
  }

  String usage(boolean responsesApi) {
    String in = responsesApi ? "input_tokens" : "prompt_tokens";
    String out = responsesApi ? "output_tokens" : "completion_tokens";
    List<String> members = new ArrayList<>();
    if (random.nextInt(6) != 0) {
      members.add(quoted(in) + ":" + usageCount());
    }
    if (random.nextInt(6) != 0) {
      members.add(quoted(out) + ":" + usageCount());
    }
    if (random.nextInt(2) == 0) {
      members.add("\"total_tokens\":" + usageCount());
    }
    if (random.nextInt(4) == 0) {
      members.add(
          quoted(responsesApi ? "input_tokens_details" : "prompt_tokens_details")
              + ":{\"cached_tokens\":"
              + usageCount()
              + "}");
    }
    if (random.nextInt(4) == 0) {
      members.add(
          quoted(responsesApi ? "output_tokens_details" : "completion_tokens_details")
              + ":"
              + (random.nextBoolean()
                  ? "{\"reasoning_tokens\":" + usageCount() + "}"
                  : pick(WRONG_TYPES)));
    }
    java.util.Collections.shuffle(members, random);
    return "{" + String.join(",", members) + "}";
  }

  /** A usage count: mostly plausible, often absurd, now and then of the wrong type. */
  String usageCount() {
    int kind = random.nextInt(10);
    if (kind < 4) {
      return String.valueOf(random.nextInt(5000));
    }
    return kind == 9 ? pick(WRONG_TYPES) : number();
  }

  private String chatStream() {
    StringBuilder body = new StringBuilder();
    String end = random.nextInt(5) == 0 ? "\r\n" : "\n";
    boolean usageNull = random.nextBoolean();
    int chunks = random.nextInt(6);
    for (int i = 0; i < chunks; i++) {
      if (random.nextInt(8) == 0) {
        body.append(garbageEvent(end));
        continue;
      }
      String chunk =
          "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":"
              + (random.nextInt(10) == 0 ? value(0) : "\"gpt-4o\"")
              + ",\"choices\":[{\"index\":0,"
              + "\"delta\":{\"content\":"
              + (random.nextInt(10) == 0 ? value(1) : quoted(text()))
              + "}}]"
              + (usageNull ? ",\"usage\":null" : "")
              + "}";
      body.append("data: ")
          .append(random.nextInt(5) == 0 ? edit(chunk) : chunk)
          .append(end)
          .append(end);
    }
    if (random.nextInt(4) != 0) {
      body.append(
          "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\","
              + "\"choices\":"
              + pick(new String[] {"[]", "[]", "null", "[{}]"})
              + ",\"usage\":"
              + (random.nextInt(8) == 0 ? pick(WRONG_TYPES) : usage(false))
              + "}"
              + end
              + end);
    }
    if (random.nextInt(4) != 0) {
      body.append("data: [DONE]").append(end).append(end);
    }
    return body.toString();
  }

  /**
   * The chunk with one character replaced, inserted or removed: chunks that differ from the one
   * before in a single place, as the gateway compares them on bytes.
   */
  String edit(String chunk) {
    int at = random.nextInt(chunk.length());
    String with = String.valueOf(EDITS.charAt(random.nextInt(EDITS.length())));
    return switch (random.nextInt(3)) {
      case 0 -> chunk.substring(0, at) + with + chunk.substring(at + 1);
      case 1 -> chunk.substring(0, at) + with + chunk.substring(at);
      default -> chunk.substring(0, at) + chunk.substring(at + 1);
    };
  }

  private String responsesStream() {
    StringBuilder body = new StringBuilder();
    body.append(
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":"
            + "{\"model\":\"gpt-4o\",\"usage\":null}}\n\n");
    int deltas = random.nextInt(4);
    for (int i = 0; i < deltas; i++) {
      body.append(
          random.nextInt(8) == 0
              ? garbageEvent("\n")
              : "data: {\"type\":\"response.output_text.delta\",\"delta\":"
                  + (random.nextInt(8) == 0 ? value(1) : quoted(text()))
                  + "}\n\n");
    }
    if (random.nextInt(4) != 0) {
      body.append(
          "data: {\"type\":"
              + pick(
                  new String[] {
                    "\"response.completed\"", "\"response.incomplete\"", "\"response.failed\"", "1"
                  })
              + ",\"response\":"
              + "{\"model\":\"gpt-4o\",\"usage\":"
              + usage(true)
              + "}}\n\n");
    }
    return body.toString();
  }

  String garbageEvent(String end) {
    return pick(
        new String[] {
          "data: {" + end + end,
          "data: [1,2" + end + end,
          "event: ping" + end + end,
          ": comment" + end,
          "data:" + end + end,
          "id: 1" + end,
          "retry: x" + end + end,
          "data: " + value(3) + end + end,
          "data: {\"usage\":" + usage(false) + "}" + end + "data: more" + end + end,
          "data: \"" + longText(random.nextInt(5_000)) + "\"" + end + end,
          "data: {\"choices\":[],\"usage\":" + usage(false) + ",\"usage\":null}" + end + end,
          "data: " + deep(100 + random.nextInt(2000)) + end + end,
          "data: {\"usage\":{\"prompt_tokens\":" + deep(30) + "}}" + end + end
        });
  }

  /** Breaks bytes: cuts them, puts invalid UTF-8 or garbage in, or adds trailing bytes. */
  byte[] mutate(byte[] body) {
    int at = body.length == 0 ? 0 : random.nextInt(body.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (random.nextInt(4)) {
      case 0 -> out.write(body, 0, at);
      case 1 -> {
        out.write(body, 0, at);
        out.writeBytes(
            new byte[] {
              (byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xED, (byte) 0xA0, (byte) 0x80
            });
        out.write(body, at, body.length - at);
      }
      case 2 -> {
        out.write(body, 0, at);
        out.writeBytes(randomBytes(1 + random.nextInt(20)));
        out.write(body, at, body.length - at);
      }
      default -> {
        out.writeBytes(body);
        out.writeBytes(utf8(pick(new String[] {"}", "]", "\n\ndata: {\n\n", "x", "\u0000"})));
      }
    }
    return out.toByteArray();
  }

  byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    random.nextBytes(bytes);
    return bytes;
  }

  private void maybe(List<String> members, String name, String value) {
    if (random.nextInt(3) != 0) {
      members.add(quoted(name) + ":" + value);
    }
  }

  String pick(String[] values) {
    return values[random.nextInt(values.length)];
  }

  int pick(int[] values) {
    return values[random.nextInt(values.length)];
  }

  /** A JSON string of {@code text}, whose escapes (already JSON) are kept as written. */
  static String quoted(String text) {
    return "\"" + text + "\"";
  }

  static byte[] utf8(String text) {
    return text.getBytes(UTF_8);
  }
}
