package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Usage;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("compute-bound")
class UsageBytesTest {

  // ---------------------------------------------------------------- against Jackson

  /** Whatever the usage object, what is read on its bytes is what parseUsage reads its tree as. */
  @Test
  void usageReadOnBytesIsUsageReadByJackson() {
    int read = 0;
    for (long seed = 0; seed < 20_000; seed++) {
      String usage = new RandomChatStream(seed).usage();
      byte[] bytes = ("  " + usage + " ").getBytes(UTF_8);
      assertThat(new StrictJson().value(bytes, 2, bytes.length, 0))
          .as(usage)
          .isEqualTo(bytes.length - 1);

      Usage onBytes = UsageBytes.read(bytes, 2, bytes.length);

      if (onBytes != UsageBytes.UNREAD) {
        read++;
        assertThat(onBytes)
            .as(usage)
            .isEqualTo(ResponseReadout.parseUsage(Json.parseOrNull(bytes, 0, bytes.length)));
      }
    }
    assertThat(read).as("usage objects read on their bytes").isGreaterThan(4_000);
  }

  /**
   * Usage objects laid out as OpenAI writes them, and the same with one change anywhere (a space, a
   * byte dropped or replaced, long counts, audio tokens, members moved): read as the member by
   * member reading reads them, and, when read, as Jackson reads them.
   */
  @Test
  void usageAsOpenAiWritesItAndEveryNearLayoutReadAsMemberByMember() {
    SplittableRandom random = new SplittableRandom(11);
    int compared = 0;
    int compact = 0;
    for (int n = 0; n < 30_000; n++) {
      long[] counts = new long[9];
      for (int k = 0; k < counts.length; k++) {
        counts[k] =
            switch (random.nextInt(8)) {
              case 0 -> 0;
              case 1 -> random.nextLong(1_000_000_000_000_000_000L); // up to 19 digits
              default -> random.nextInt(100_000);
            };
      }
      if (random.nextInt(3) != 0) {
        counts[4] = 0; // audio tokens, mostly none
        counts[6] = 0;
      }
      String usage =
          "{\"prompt_tokens\":"
              + counts[0]
              + ",\"completion_tokens\":"
              + counts[1]
              + ",\"total_tokens\":"
              + counts[2]
              + ",\"prompt_tokens_details\":{\"cached_tokens\":"
              + counts[3]
              + ",\"audio_tokens\":"
              + counts[4]
              + "},\"completion_tokens_details\":{\"reasoning_tokens\":"
              + counts[5]
              + ",\"audio_tokens\":"
              + counts[6]
              + ",\"accepted_prediction_tokens\":"
              + counts[7]
              + ",\"rejected_prediction_tokens\":"
              + counts[8]
              + "}}";
      int at = random.nextInt(usage.length());
      usage =
          switch (random.nextInt(6)) {
            case 0, 1 -> usage; // as written
            case 2 ->
                usage.substring(0, at) + (random.nextBoolean() ? " " : "0") + usage.substring(at);
            case 3 -> usage.substring(0, at) + usage.substring(at + 1);
            case 4 ->
                usage.substring(0, at)
                    + "0,.}e\"9x".charAt(random.nextInt(8))
                    + usage.substring(at + 1);
            default ->
                usage.replace(
                    "\"prompt_tokens\":" + counts[0] + ",\"completion_tokens\":" + counts[1],
                    "\"completion_tokens\":" + counts[1] + ",\"prompt_tokens\":" + counts[0]);
          };
      byte[] bytes = (usage + ",\"x\":1}").getBytes(UTF_8);
      int end = new StrictJson().value(bytes, 0, bytes.length, 0);
      int[] compactEnd = {-1};
      if (UsageBytes.asOpenAiWritesIt(bytes, 0, bytes.length, compactEnd) != null) {
        // A walk takes it as checked: StrictJson accepts it, and it ends where StrictJson says.
        assertThat(compactEnd[0]).as("read as OpenAI writes it: %s", usage).isEqualTo(end);
      }
      if (end != usage.length()) {
        continue; // not JSON any more, or not an object ending where it did: never read here
      }
      compared++;

      Usage read = UsageBytes.read(bytes, 0, bytes.length);
      Usage members = UsageBytes.readMembers(bytes, 0, bytes.length);
      if (UsageBytes.asOpenAiWritesIt(bytes, 0, bytes.length, null) != null) {
        compact++;
      }

      if (members == UsageBytes.UNREAD) {
        assertThat(read).as(usage).isSameAs(UsageBytes.UNREAD);
      } else {
        assertThat(read).as(usage).isEqualTo(members);
        assertThat(read)
            .as(usage)
            .isEqualTo(ResponseReadout.parseUsage(Json.parseOrNull(bytes, 0, end)));
      }
    }
    assertThat(compared).isGreaterThan(15_000);
    assertThat(compact).as("read as OpenAI writes it").isGreaterThan(5_000);
  }

  /**
   * Whatever the document, readDocument learns the same on bytes as with Jackson (which it uses
   * when the text is kept).
   */
  @Test
  void documentReadOnBytesIsReadAsJacksonReadsIt() {
    int withUsage = 0;
    for (long seed = 0; seed < 20_000; seed++) {
      RandomChatStream stream = new RandomChatStream(seed);
      SplittableRandom random = new SplittableRandom(seed);
      String document = stream.chunks().get(0).replace("chat.completion.chunk", "chat.completion");
      String usage =
          random.nextInt(3) == 0
              ? stream.usage()
              : "{\"prompt_tokens\":" + random.nextInt(999) + ",\"completion_tokens\":7}";
      document =
          switch (random.nextInt(6)) {
            case 0 -> document; // no usage, or only null ones
            case 1 ->
                document.substring(0, document.length() - 1)
                    + ",\"usage\":"
                    + usage
                    + ",\"usage\":7}"; // the last usage is not an object
            default -> document.substring(0, document.length() - 1) + ",\"usage\":" + usage + "}";
          };
      byte[] bytes =
          random.nextInt(4) == 0
              ? stream.broken(document.getBytes(UTF_8))
              : document.getBytes(UTF_8);
      ResponseReadout jackson = new ResponseReadout();
      jackson.keepText();
      boolean parsed = jackson.readDocument(bytes, 0, bytes.length);

      ResponseReadout facts = new ResponseReadout();
      boolean read = facts.readDocument(bytes, 0, bytes.length);

      String as = "seed " + seed + ": " + new String(bytes, UTF_8);
      assertThat(read).as(as).isEqualTo(parsed);
      assertThat(facts.usage()).as(as).isEqualTo(jackson.usage());
      assertThat(facts.model()).as(as).isEqualTo(jackson.model());
      assertThat(facts.complete()).as(as).isEqualTo(jackson.complete());
      withUsage += facts.usage() != null ? 1 : 0;
    }
    assertThat(withUsage).isGreaterThan(5_000);
  }

  // ---------------------------------------------------------------- what is read

  @Test
  void everyShapeOfCountIsRead() {
    assertThat(
            read(
                "{\"prompt_tokens\":21,\"completion_tokens\":4,\"total_tokens\":25,"
                    + "\"prompt_tokens_details\":{\"cached_tokens\":8},"
                    + "\"completion_tokens_details\":{\"reasoning_tokens\":2}}"))
        .isEqualTo(new Usage(21, 4, 25, 8, 2));
    assertThat(
            read(
                "{\"input_tokens\":5,\"output_tokens\":3,\"input_tokens_details\":"
                    + "{\"cached_tokens\":1},\"output_tokens_details\":{\"reasoning_tokens\":2}}"))
        .isEqualTo(new Usage(5, 3, 8, 1, 2));
    assertThat(read("{\"prompt_tokens\":9,\"total_tokens\":9}"))
        .isEqualTo(new Usage(9, 0, 9, 0, 0));
    assertThat(read("{ \"total_tokens\" : 4 , \"x\" : [ { \"y\" : \"}\" } ] }"))
        .isEqualTo(new Usage(0, 0, 4, 0, 0));
  }

  @Test
  void cacheWritesInPromptDetailsAreReadAsOpenRouterAndTranslatedAnswersReportThem() {
    String usage =
        "{\"prompt_tokens\":194,\"completion_tokens\":2,\"total_tokens\":196,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":0,\"cache_write_tokens\":100,"
            + "\"audio_tokens\":0}}";

    assertThat(read(usage)).isEqualTo(new Usage(194, 2, 196, 0, 0, 100, 0, 0, 0));
    assertThat(
            ResponseReadout.parseUsage(Json.parseOrNull(usage.getBytes(UTF_8), 0, usage.length())))
        .isEqualTo(read(usage));
  }

  @Test
  void lastMemberOfANameWins() {
    assertThat(read("{\"prompt_tokens\":1,\"prompt_tokens\":2,\"total_tokens\":3}"))
        .isEqualTo(new Usage(2, 0, 3, 0, 0));
    assertThat(
            read(
                "{\"prompt_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":1},"
                    + "\"prompt_tokens_details\":null,\"input_tokens_details\":{\"cached_tokens\":2}}"))
        .isEqualTo(new Usage(1, 0, 1, 2, 0));
  }

  @Test
  void usageWithoutCountIsNone() {
    assertThat(read("{}")).isNull();
    assertThat(read("{\"completion_tokens\":3,\"prompt_tokens\":\"3\"}")).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"prompt_tokens\":-1}",
        "{\"prompt_tokens\":1.0}",
        "{\"prompt_tokens\":1e3}",
        "{\"prompt_tokens\":1234567890123456789}",
        "{\"prompt\\u005ftokens\":1}",
        "{\"prompt_tokens_details\":{\"cached\\u005ftokens\":1}}",
        "{\"prompt_tokens_details\":{\"cached_tokens\":-1}}",
      })
  void countsInOtherFormsAreLeftToJackson(String usage) {
    assertThat(read(usage)).isSameAs(UsageBytes.UNREAD);
  }

  @Test
  void audioAndImageTokensAreLeftToJacksonWhichReadsThemIntoUsage() {
    String usage =
        "{\"prompt_tokens\":120,\"completion_tokens\":80,\"total_tokens\":200,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":10,\"audio_tokens\":40,"
            + "\"image_tokens\":5},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":60}}";

    assertThat(read(usage)).isSameAs(UsageBytes.UNREAD);
    byte[] bytes = usage.getBytes(UTF_8);
    assertThat(ResponseReadout.parseUsage(Json.parseOrNull(bytes, 0, bytes.length)))
        .isEqualTo(new Usage(120, 80, 200, 10, 0, 0, 40, 60, 5));
  }

  @Test
  void zeroAudioTokensAsOpenAiReportsThemOnEveryChatAreReadOnBytes() {
    String usage =
        "{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
            + "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}";

    assertThat(read(usage)).isEqualTo(new Usage(19, 10, 29, 0, 0));
  }

  @Test
  void countsNearALongWithoutTotalSumToLongMaxValueInsteadOfOverflowing() {
    byte[] usage =
        "{\"prompt_tokens\":9223372036854775807,\"completion_tokens\":5}".getBytes(UTF_8);

    Usage parsed = ResponseReadout.parseUsage(Json.parseOrNull(usage, 0, usage.length));

    assertThat(parsed).isEqualTo(new Usage(Long.MAX_VALUE, 5, Long.MAX_VALUE, 0, 0));
  }

  @Test
  void eighteenDigitCountsWithoutTotalAreSummedOnBytes() {
    assertThat(read("{\"input_tokens\":999999999999999999,\"output_tokens\":999999999999999999}"))
        .isEqualTo(
            new Usage(
                999_999_999_999_999_999L,
                999_999_999_999_999_999L,
                1_999_999_999_999_999_998L,
                0,
                0));
  }

  @Test
  void otherMembersMayBeWrittenInAnyForm() {
    assertThat(read("{\"prompt_tokens\":2,\"cost\":-0.5e-3,\"name\":\"\\u0061\\\"}\"}"))
        .isEqualTo(new Usage(2, 0, 2, 0, 0));
  }

  private static Usage read(String usage) {
    byte[] bytes = usage.getBytes(UTF_8);
    return UsageBytes.read(bytes, 0, bytes.length);
  }
}
