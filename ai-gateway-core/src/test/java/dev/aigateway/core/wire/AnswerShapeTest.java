package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A JSON answer matched against the layout learnt from an answer before ({@link AnswerShape}) is
 * read exactly as the whole walk reads it: for answers of several layouts, with every scalar value
 * replaced by values valid and not (escapes, non-ASCII text, control characters, broken UTF-8,
 * numbers and literals of every form, counts too long, with leading zeros or audio tokens), and
 * with bytes changed, put in, taken out or cut off, the walk that may match gives the result, the
 * usage members, the usage, the model and the choices of a walk that never matches.
 */
@Tag("compute-bound")
class AnswerShapeTest {

  /** A scalar value's place in a layout below; a usage count's place. */
  private static final char VALUE = '\u0001';

  private static final char COUNT = '\u0002';

  /** The top-level model's value's place. */
  private static final char MODEL = '\u0003';

  /** Models an answer learnt from names: text without escapes. */
  private static final String[] MODELS = {
    "\"gpt-4o-mini\"", "\"gpt-4o\"", "\"\"", "\"m\u00f6del\""
  };

  private static final String[] LAYOUTS = {
    // As OpenAI writes a chat completion.
    "{\"id\":\u0001,\"object\":\u0001,\"created\":\u0001,\"model\":\u0003,\"choices\":[{\"index\":"
        + "\u0001,\"message\":{\"role\":\u0001,\"content\":\u0001,\"refusal\":\u0001,"
        + "\"annotations\":[]},\"logprobs\":\u0001,\"finish_reason\":\u0001}],\"usage\":"
        + usage()
        + ",\"service_tier\":\u0001,\"system_fingerprint\":\u0001}",
    // Spaces and lines around the members, a tool call, no model.
    "{\n  \"id\": \u0001,\n  \"choices\": [ {\"index\": \u0001, \"message\": {\"role\": \u0001,"
        + " \"tool_calls\": [{\"id\": \u0001, \"function\": {\"name\": \u0001, \"arguments\":"
        + " \u0001}}]}, \"finish_reason\": \u0001} ],\n  \"usage\": "
        + usage()
        + "\n}\n",
    // The usage first, the model last, no choices left, a nested name with an escape.
    "{\"usage\":"
        + usage()
        + ",\"choices\":[],\"x\":{\"a\\u0062\":[\u0001,\u0001,{\"k\":\u0001}]},\"model\":\u0003}",
    // Two choices, names that start like the read ones.
    "{\"models\":\u0001,\"usages\":\u0001,\"model\":\u0003,\"choices\":[{\"index\":\u0001},"
        + "{\"index\":\u0001}],\"usage\":"
        + usage()
        + "}",
    // Not learnt: a usage with a space (not as OpenAI writes it), two models, a null usage.
    "{\"model\":\u0003,\"usage\": {\"prompt_tokens\": \u0002,\"completion_tokens\":\u0002,"
        + "\"total_tokens\":\u0002}}",
    "{\"model\":\u0003,\"model\":\u0003,\"usage\":" + usage() + "}",
    "{\"model\":\u0003,\"usage\":null}",
  };

  /** Values an answer learnt from has: valid, a model without escapes. */
  private static final String[] PLAIN = {
    "\"chatcmpl-abc\"",
    "\"gpt-4o-mini\"",
    "0",
    "17",
    "1767225600",
    "null",
    "true",
    "false",
    "\"stop\"",
    "\"content_filter\"",
    "\"Hello there, all of you.\"",
    "\"\"",
    "-3.5e+2"
  };

  /** Values an answer matched may have, valid or not. */
  private static final String[] ANY = {
    "\"chatcmpl-xyz\"",
    "\"gpt-4o-mini\"",
    "\"gpt-4o\"",
    "\"gpt\\u002d4o\"",
    "\"content_filter\"",
    "\"content_filter_results\"",
    "\"not content_filter\"",
    "\"line\\nbreak\"",
    "\"d\u00e9j\u00e0 vu \ud83d\ude42\"",
    "\"tab\there\"",
    "\"bad \\x escape\"",
    "\"unclosed",
    "\"",
    "0",
    "-0",
    "01",
    "1.",
    "1.5",
    "1e400",
    "-",
    "12345678901234567890",
    "true",
    "tru",
    "false",
    "fals",
    "null",
    "nul",
    "nullx",
    "{}",
    "[]",
    "[1,2]",
    "{\"a\":1}",
    ""
  };

  /** Counts a matched usage may have. */
  private static final String[] COUNTS = {
    "0",
    "7",
    "27",
    "999999999999999999",
    "1000000000000000000",
    "007",
    "-1",
    "1.0",
    "1e3",
    "null",
    "\"3\"",
    ""
  };

  /** Answers read filtered by a content filter: all of them, and those matched to a layout. */
  private static int filteredSeen;

  private static int filteredMatched;

  @AfterEach
  void forgetTheLayout() {
    TopLevelMembers.forgetShape();
  }

  @Test
  void answersMatchedReadAsAnswersWalkedWhole() {
    Random random = new Random(20261205L);
    filteredSeen = 0;
    filteredMatched = 0;
    int matched = 0;
    int walked = 0;
    for (int round = 0; round < 3_000; round++) {
      String layout = LAYOUTS[random.nextInt(LAYOUTS.length)];
      byte[] learnt = fill(layout, random, PLAIN, new String[] {"0", "5", "31"});
      TopLevelMembers.forgetShape();
      TopLevelMembers first = new TopLevelMembers(StrictJson.NOT_NOTING, false);
      assertSameAsWalkedWhole(first, learnt);
      assertThat(first.matchedShape()).isFalse();
      for (int n = 0; n < 20; n++) {
        byte[] answer =
            random.nextInt(3) == 0
                ? fill(layout, random, ANY, COUNTS)
                : fill(layout, random, PLAIN, new String[] {"0", "12", "4096"});
        if (random.nextInt(4) == 0) {
          answer = damaged(answer, random);
        }
        TopLevelMembers walker = new TopLevelMembers(StrictJson.NOT_NOTING, false);
        assertSameAsWalkedWhole(walker, answer);
        if (walker.matchedShape()) {
          matched++;
        } else {
          walked++;
        }
      }
    }
    // Both ways taken in earnest, for filtered answers too.
    assertThat(matched).isGreaterThan(12_000);
    assertThat(walked).isGreaterThan(10_000);
    assertThat(filteredMatched).isGreaterThan(100);
    assertThat(filteredSeen - filteredMatched).isGreaterThan(100);
  }

  @Test
  void theCanonicalAnswerIsMatchedAfterOneLikeIt() {
    byte[] first = fill(LAYOUTS[0], new Random(1), PLAIN, new String[] {"0", "5", "31"});
    byte[] second = fill(LAYOUTS[0], new Random(2), PLAIN, new String[] {"0", "9", "40"});
    TopLevelMembers.forgetShape();
    TopLevelMembers walker = new TopLevelMembers(StrictJson.NOT_NOTING, false);
    assertSameAsWalkedWhole(walker, first);
    assertThat(walker.matchedShape()).isFalse();
    assertSameAsWalkedWhole(walker, second);
    assertThat(walker.matchedShape()).isTrue();
    // A walker that notes positions (a stream's chunks) never matches a layout.
    TopLevelMembers positions = new TopLevelMembers(new StrictJson(), true);
    assertThat(positions.walk(second, 0, second.length)).isTrue();
    assertThat(positions.matchedShape()).isFalse();
  }

  @Test
  void anAnswerOfAnotherLayoutIsWalkedAndTeachesItsLayoutInTime() {
    byte[] one = fill(LAYOUTS[0], new Random(3), PLAIN, new String[] {"1"});
    byte[] other = fill(LAYOUTS[3], new Random(4), PLAIN, new String[] {"2"});
    TopLevelMembers.forgetShape();
    assertSameAsWalkedWhole(new TopLevelMembers(StrictJson.NOT_NOTING, false), one);
    boolean learntOther = false;
    for (int n = 0; n < 40 && !learntOther; n++) {
      TopLevelMembers walker = new TopLevelMembers(StrictJson.NOT_NOTING, false);
      assertSameAsWalkedWhole(walker, other);
      learntOther = walker.matchedShape();
    }
    assertThat(learntOther).isTrue();
  }

  /**
   * Walks {@code answer} with {@code walker} (which may match the learnt layout) and with a walker
   * that notes positions (never matching a layout): the same result and the same reading.
   */
  private static void assertSameAsWalkedWhole(TopLevelMembers walker, byte[] answer) {
    String text = new String(answer, UTF_8);
    TopLevelMembers whole = new TopLevelMembers(new StrictJson(), true);
    boolean expected = whole.walk(answer, 0, answer.length);
    assertThat(walker.walk(answer, 0, answer.length)).as(text).isEqualTo(expected);
    if (!expected) {
      return;
    }
    // Whether a content filter may have cut it off: never missed, never guessed from nothing.
    boolean filtered = FailedAnswers.filtered(answer, 0, answer.length);
    boolean mayBe = walker.mayBeFiltered(answer, 0, answer.length);
    if (filtered) {
      assertThat(mayBe).as(text).isTrue();
    }
    if (!FailedAnswers.holdsContentFilter(answer, 0, answer.length)) {
      assertThat(mayBe).as(text).isFalse();
    }
    if (filtered) {
      filteredSeen++;
      filteredMatched += walker.matchedShape() ? 1 : 0;
    }
    assertThat(walker.usages()).as(text).isEqualTo(whole.usages());
    assertThat(walker.usagesNull()).as(text).isEqualTo(whole.usagesNull());
    assertThat(walker.model()).as(text).isEqualTo(whole.model());
    assertThat(walker.modelValue()).as(text).isEqualTo(whole.modelValue());
    assertThat(walker.choicesEmpty()).as(text).isEqualTo(whole.choicesEmpty());
    if (whole.usages() > 0) {
      assertThat(walker.firstUsage()).as(text).isEqualTo(whole.firstUsage());
      assertThat(walker.lastUsage()).as(text).isEqualTo(whole.lastUsage());
      if (answer[whole.lastUsage()] == '{') {
        assertThat(walker.usage(answer, walker.lastUsage(), answer.length))
            .as(text)
            .isEqualTo(whole.usage(answer, whole.lastUsage(), answer.length));
      }
    }
  }

  private static String usage() {
    return "{\"prompt_tokens\":\u0002,\"completion_tokens\":\u0002,\"total_tokens\":\u0002,"
        + "\"prompt_tokens_details\":{\"cached_tokens\":\u0002,\"audio_tokens\":\u0002},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":\u0002,\"audio_tokens\":\u0002,"
        + "\"accepted_prediction_tokens\":\u0002,\"rejected_prediction_tokens\":\u0002}}";
  }

  /**
   * The layout with each value place filled from {@code values} and each count from {@code counts};
   * an audio count is 0 but now and then.
   */
  private static byte[] fill(String layout, Random random, String[] values, String[] counts) {
    StringBuilder out = new StringBuilder();
    int count = 0;
    for (int k = 0; k < layout.length(); k++) {
      char c = layout.charAt(k);
      if (c == VALUE || (c == MODEL && values == ANY)) {
        out.append(values[random.nextInt(values.length)]);
      } else if (c == MODEL) {
        out.append(MODELS[random.nextInt(MODELS.length)]);
      } else if (c == COUNT) {
        boolean audio = count % 9 == 4 || count % 9 == 6;
        out.append(
            audio && (values != ANY || random.nextInt(8) > 0)
                ? "0"
                : counts[random.nextInt(counts.length)]);
        count++;
      } else {
        out.append(c);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(out.toString().getBytes(UTF_8));
    if (values == ANY && random.nextInt(10) == 0) {
      // Broken UTF-8 in a string: a lone continuation byte, or a lead byte without its follower.
      byte[] text = bytes.toByteArray();
      int quote = indexOf(text, (byte) '"', random.nextInt(text.length));
      if (quote >= 0) {
        text[quote] = random.nextBoolean() ? (byte) 0x80 : (byte) 0xC3;
        return text;
      }
    }
    return bytes.toByteArray();
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int k = from; k < bytes.length; k++) {
      if (bytes[k] == b && k + 1 < bytes.length && bytes[k + 1] != ':') {
        return k + 1; // inside a string (or after one)
      }
    }
    return -1;
  }

  /** The answer with one byte changed, put in or taken out, or cut off. */
  private static byte[] damaged(byte[] answer, Random random) {
    int at = random.nextInt(answer.length);
    byte[] any = {
      ' ', '\n', '"', '\\', ',', ':', '{', '}', '[', ']', '0', '9', 'a', 'n', (byte) 0xE2
    };
    switch (random.nextInt(4)) {
      case 0 -> {
        byte[] changed = answer.clone();
        changed[at] = any[random.nextInt(any.length)];
        return changed;
      }
      case 1 -> {
        byte[] longer = new byte[answer.length + 1];
        System.arraycopy(answer, 0, longer, 0, at);
        longer[at] = any[random.nextInt(any.length)];
        System.arraycopy(answer, at, longer, at + 1, answer.length - at);
        return longer;
      }
      case 2 -> {
        byte[] shorter = new byte[answer.length - 1];
        System.arraycopy(answer, 0, shorter, 0, at);
        System.arraycopy(answer, at + 1, shorter, at, answer.length - at - 1);
        return shorter;
      }
      default -> {
        return Arrays.copyOf(answer, at);
      }
    }
  }
}
