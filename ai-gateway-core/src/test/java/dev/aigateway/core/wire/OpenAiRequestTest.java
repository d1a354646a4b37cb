package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.adapter.PostedRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OpenAiRequestTest {

  private static OpenAiRequest view(String body) {
    return view(body, Integer.MAX_VALUE);
  }

  private static OpenAiRequest view(String body, int maxParsed) {
    ClientRequest request = PostedRequest.of("http://localhost/v1/chat/completions", body);
    return new OpenAiRequest(
        new CallMatch(Operation.CHAT_COMPLETIONS, "deploy-1"), request, maxParsed);
  }

  private static String rewritten(OpenAiRequest view, String model, boolean includeUsage) {
    byte[] out = view.rewrittenBody(model, includeUsage);
    return out == null ? null : new String(out, StandardCharsets.UTF_8);
  }

  @Test
  void readsTheTopLevelFieldsTheGatewayNeeds() {
    OpenAiRequest view =
        view(
            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"x\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"max_tokens\":300,\"max_completion_tokens\":200,\"n\":2}");

    assertThat(view.bodyUnderstood()).isTrue();
    assertThat(view.model()).isEqualTo("gpt-4o");
    assertThat(view.stream()).isTrue();
    assertThat(view.includeUsageRequested()).isTrue();
    assertThat(view.maxOutputTokens()).hasValue(200);
    assertThat(view.choices()).isEqualTo(2);
  }

  @Test
  void theOutputAllowanceIsTheFirstFieldSetOfTheThreeInTheirOrder() {
    String[] fields = {"max_completion_tokens", "max_tokens", "max_output_tokens"};
    long[] values = {200, 300, 400};
    for (int set = 0; set < 8; set++) {
      StringBuilder body = new StringBuilder("{\"model\":\"gpt-4o\",\"messages\":[]");
      // Written last field first, so the order of the body is not the order of preference.
      for (int f = fields.length - 1; f >= 0; f--) {
        if ((set & (1 << f)) != 0) {
          body.append(",\"").append(fields[f]).append("\":").append(values[f]);
        }
      }
      String text = body.append('}').toString();
      OpenAiRequest view = view(text);
      int first = Integer.numberOfTrailingZeros(set);
      if (set == 0) {
        assertThat(view.maxOutputTokens()).as(text).isEmpty();
        assertThat(view.maxOutputTokensField()).as(text).isNull();
      } else {
        assertThat(view.maxOutputTokens()).as(text).hasValue(values[first]);
        assertThat(view.maxOutputTokensField()).as(text).isEqualTo(fields[first]);
      }
    }
    assertThat(view("{\"model\":\"gpt-4o\",\"max_tokens\":0}").maxOutputTokens()).hasValue(0);
  }

  @Test
  void eachBodyReadsItsOwnModelWhenModelsAlternateAndTheSameModelIsOneString() {
    String[] models = {"gpt-4o", "gpt-4o-mini", "gpt-4p", "gpt-4o", "o1", "gpt-4o-mini", "gpt-4o"};
    for (String model : models) {
      assertThat(view("{\"model\":\"" + model + "\",\"messages\":[]}").model()).isEqualTo(model);
    }
    // Read twice in a row, a model is the same string (its hash computed once).
    String again = view("{\"model\":\"gpt-4o\",\"messages\":[]}").model();
    assertThat(view("{\"model\":\"gpt-4o\",\"messages\":[]}").model()).isSameAs(again);
  }

  @Test
  void onlyTheNamesOfTheFieldsReadAreReadNotOtherNamesOfTheirLengths() {
    // Names as long as a field read (each length names one), one byte off or in another case.
    assertThat(
            fieldsOf(
                "{\"modem\":\"x\",\"Model\":\"y\",\"streax\":true,\"N\":3,\"m\":4,"
                    + "\"max_tokenz\":5,\"max_output_tokenz\":6,\"max_completion_tokenz\":7,"
                    + "\"stream_optionz\":{\"include_usage\":true},\"messages\":[]}"))
        .isEqualTo("deploy-1 stream false usage false max OptionalLong.empty by null n 1");
    // Each field read, after names of other lengths.
    assertThat(
            fieldsOf(
                "{\"x\":0,\"n\":3,\"max_output_tokens\":6,\"model\":\"gpt-4o\",\"stream\":true,"
                    + "\"stream_options\":{\"include_usage\":true},\"messages\":[]}"))
        .isEqualTo("gpt-4o stream true usage true max OptionalLong[6] by max_output_tokens n 3");
  }

  /** The fields a view of {@code body} read, in one line; the body must be understood. */
  private static String fieldsOf(String body) {
    OpenAiRequest view = view(body);
    assertThat(view.bodyUnderstood()).isTrue();
    return view.model()
        + " stream "
        + view.stream()
        + " usage "
        + view.includeUsageRequested()
        + " max "
        + view.maxOutputTokens()
        + " by "
        + view.maxOutputTokensField()
        + " n "
        + view.choices();
  }

  @Test
  void aViewReadFromManyThreadsAtOnceGivesEveryOneTheSameFields() throws Exception {
    for (int run = 0; run < 200; run++) {
      OpenAiRequest view =
          view("{\"model\":\"gpt-4o\",\"max_tokens\":" + run + ",\"stream\":true}");
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
      java.util.List<java.util.concurrent.CompletableFuture<String>> reads =
          new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        reads.add(
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  return view.model() + view.maxOutputTokens().getAsLong() + view.stream();
                }));
      }
      for (java.util.concurrent.CompletableFuture<String> read : reads) {
        assertThat(read.get()).isEqualTo("gpt-4o" + run + "true");
      }
    }
  }

  @Test
  void theDeploymentNamesTheModelWhenTheBodyDoesNot() {
    assertThat(view("{\"messages\":[]}").model()).isEqualTo("deploy-1");
  }

  @Test
  void includeUsageIsSplicedBeforeTheClosingBraceLeavingEveryOtherByte() {
    String body = "{ \"model\" : \"gpt-4o\",\n  \"stream\": true, \"messages\": [] }\n";

    assertThat(rewritten(view(body), null, true))
        .isEqualTo(
            "{ \"model\" : \"gpt-4o\",\n  \"stream\": true, \"messages\": [] ,"
                + "\"stream_options\":{\"include_usage\":true}}\n");
  }

  @Test
  void theModelIsReplacedInPlace() {
    String body = "{\"messages\":[{\"content\":\"model\"}],\"model\":\"smart\",\"stream\":false}";

    assertThat(rewritten(view(body), "gpt-4o-2024-11-20", false))
        .isEqualTo(
            "{\"messages\":[{\"content\":\"model\"}],\"model\":\"gpt-4o-2024-11-20\",\"stream\":false}");
  }

  @Test
  void modelAndUsageAreRewrittenTogetherAndEscaped() {
    String body = "{\"model\":\"a\",\"stream\":true}";

    assertThat(rewritten(view(body), "we\"ird", true))
        .isEqualTo(
            "{\"model\":\"we\\\"ird\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  }

  @Test
  void anIncludeUsageThatIsNotTrueBecomesTrueInPlace() {
    String body =
        "{\"model\":\"a\",\"stream_options\":{ \"include_usage\" : false , \"x\":1},"
            + "\"stream\":true}";

    assertThat(rewritten(view(body), null, true))
        .isEqualTo(
            "{\"model\":\"a\",\"stream_options\":{ \"include_usage\" : true , \"x\":1},"
                + "\"stream\":true}");
  }

  @Test
  void streamOptionsWithoutIncludeUsageGetItAfterTheirOpeningBrace() {
    assertThat(rewritten(view("{\"stream_options\":{\"x\":[1]},\"stream\":true}"), null, true))
        .isEqualTo("{\"stream_options\":{\"include_usage\":true,\"x\":[1]},\"stream\":true}");
    assertThat(rewritten(view("{\"stream_options\":{ },\"stream\":true}"), null, true))
        .isEqualTo("{\"stream_options\":{\"include_usage\":true },\"stream\":true}");
  }

  @Test
  void streamOptionsThatAreNotAnObjectAreReplacedByOne() {
    assertThat(rewritten(view("{\"stream_options\":null,\"stream\":true}"), null, true))
        .isEqualTo("{\"stream_options\":{\"include_usage\":true},\"stream\":true}");
    assertThat(rewritten(view("{\"stream_options\":[1, 2],\"stream\":true}"), null, true))
        .isEqualTo("{\"stream_options\":{\"include_usage\":true},\"stream\":true}");
  }

  @Test
  void numbersGoOutAsWrittenWhenStreamOptionsAreRewritten() {
    String numbers =
        "\"temperature\":1e400,\"top_p\":0.1000000000000000055511151231257827,"
            + "\"seed\":123456789012345678901234567890,\"logit_bias\":{\"50256\":-1E-400}";
    String body = "{\"model\":\"a\"," + numbers + ",\"stream_options\":{\"include_usage\":0}}";

    assertThat(rewritten(view(body), "b", true))
        .isEqualTo("{\"model\":\"b\"," + numbers + ",\"stream_options\":{\"include_usage\":true}}");
  }

  @Test
  void streamOptionsReadByTheParserAreSplicedTheSame() {
    String body = "{\"mod\\u0065l\":\"a\",\"n\":1e400,\"stream_options\":{\"x\":1.50}}";

    assertThat(rewritten(view(body), null, true))
        .isEqualTo(
            "{\"mod\\u0065l\":\"a\",\"n\":1e400,\"stream_options\":{\"include_usage\":true,"
                + "\"x\":1.50}}");
  }

  @Test
  void aModelThatIsNotTextIsReplacedInPlace() {
    assertThat(rewritten(view("{\"model\":[\"a\"],\"n\":2}"), "b", false))
        .isEqualTo("{\"model\":\"b\",\"n\":2}");
    assertThat(rewritten(view("{\"mod\\u0065l\":42 ,\"n\":2}"), "b", false))
        .isEqualTo("{\"mod\\u0065l\":\"b\" ,\"n\":2}");
  }

  @Test
  void aMissingModelAndStreamOptionsAreAddedTogether() {
    assertThat(rewritten(view("{\"stream\":true}"), "b", true))
        .isEqualTo("{\"stream\":true,\"model\":\"b\",\"stream_options\":{\"include_usage\":true}}");
    assertThat(rewritten(view("{}"), "b", true))
        .isEqualTo("{\"model\":\"b\",\"stream_options\":{\"include_usage\":true}}");
  }

  @Test
  void aMissingModelIsAdded() {
    assertThat(rewritten(view("{\"messages\":[]}"), "gpt-4o", false))
        .isEqualTo("{\"messages\":[],\"model\":\"gpt-4o\"}");
  }

  @Test
  void nothingToChangeMeansTheApplicationsBytes() {
    assertThat(view("{\"model\":\"a\"}").rewrittenBody("a", false)).isNull();
    assertThat(view("{\"model\":\"a\"}").rewrittenBody(null, false)).isNull();
  }

  @Test
  void anEmptyObjectGetsUsageWithoutAComma() {
    assertThat(rewritten(view("{}"), null, true))
        .isEqualTo("{\"stream_options\":{\"include_usage\":true}}");
  }

  @Test
  void malformedTrailingOrNonObjectBodiesAreNotUnderstoodAndNeverRewritten() {
    for (String body :
        new String[] {
          "{\"model\":", "[1,2]", "{\"a\":1} {\"b\":2}", "", "null", "{\"model\":\"a\"} trailing"
        }) {
      OpenAiRequest view = view(body);
      assertThat(view.bodyUnderstood()).as(body).isFalse();
      assertThat(view.rewrittenBody("x", true)).as(body).isNull();
      assertThat(view.body()).as(body).isNull();
      assertThat(view.stream()).isFalse();
    }
  }

  @Test
  void bodiesAboveTheBoundAreNotParsed() {
    OpenAiRequest view = view("{\"model\":\"gpt-4o\",\"stream\":true}", 10);
    assertThat(view.bodyUnderstood()).isFalse();
    assertThat(view.model()).isEqualTo("deploy-1");
  }

  @Test
  void oddValuesReadAsAbsent() {
    OpenAiRequest view = view("{\"model\":42,\"max_tokens\":-5,\"n\":\"two\",\"stream\":\"yes\"}");
    assertThat(view.model()).isEqualTo("deploy-1");
    assertThat(view.maxOutputTokens()).isEmpty();
    assertThat(view.choices()).isEqualTo(1);
    assertThat(view.stream()).isFalse();
  }

  @Test
  void choicesBeyondAnIntReadAsIntegerMaxValueNotAsOne() {
    for (String n : new String[] {"3000000000", "9223372036854775808", "1e19", "3e9"}) {
      assertThat(view("{\"model\":\"gpt-4o\",\"n\":" + n + "}").choices())
          .as(n)
          .isEqualTo(Integer.MAX_VALUE);
      assertThat(view("{\"model\":\"gpt-4o\",\"best_of\":" + n + "}").choices())
          .as(n)
          .isEqualTo(Integer.MAX_VALUE);
    }
  }

  @Test
  void maxTokensBeyondALongReadsAsLongMaxValueAndTheBodyStaysUnderstood() {
    OpenAiRequest view = view("{\"model\":\"gpt-4o\",\"max_tokens\":9223372036854775808}");

    assertThat(view.bodyUnderstood()).isTrue();
    assertThat(view.maxOutputTokens()).hasValue(Long.MAX_VALUE);
  }

  @Test
  void maxTokensWrittenAsAnExponentBeyondALongReadsAsLongMaxValue() {
    assertThat(view("{\"max_completion_tokens\":1e999}").maxOutputTokens())
        .hasValue(Long.MAX_VALUE);
  }

  @Test
  void theFieldTheOutputAllowanceWasReadFromIsNamed() {
    assertThat(view("{\"max_output_tokens\":-1,\"max_tokens\":5}").maxOutputTokensField())
        .isEqualTo("max_tokens");
    assertThat(view("{\"max_tokens\":\"5\"}").maxOutputTokensField()).isNull();
  }

  @Test
  void bodiesTheByteWalkRefusesAreReadByTheParserWithTheSameResult() {
    String escapedName = "{\"mod\\u0065l\":\"gpt-4o\",\"stream\":true}";
    OpenAiRequest escaped = view(escapedName);
    assertThat(escaped.model()).isEqualTo("gpt-4o");
    assertThat(escaped.stream()).isTrue();
    assertThat(rewritten(escaped, null, true))
        .isEqualTo(
            "{\"mod\\u0065l\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

    String big =
        "{\"messages\":[{\"role\":\"user\",\"content\":\""
            + "x".repeat(40_000)
            + "\"}],\"model\":\"gpt-4o\",\"max_tokens\":7}";
    OpenAiRequest large = view(big);
    assertThat(large.model()).isEqualTo("gpt-4o");
    assertThat(large.maxOutputTokens()).hasValue(7);
    assertThat(rewritten(large, "other", false)).isEqualTo(big.replace("\"gpt-4o\"", "\"other\""));
  }

  @Test
  void escapedAndUnicodeValuesAreReadExactly() {
    OpenAiRequest view =
        view(
            "{\"messages\":[{\"content\":\"caf\u00e9 \\\" \\n \ud83d\ude00\"}],"
                + "\"model\":\"gpt-\\u0034o\",\"n\":3,\"stream_options\":{\"x\":[1,{\"y\":null}],"
                + "\"include_usage\":true}}");

    assertThat(view.bodyUnderstood()).isTrue();
    assertThat(view.model()).isEqualTo("gpt-4o");
    assertThat(view.choices()).isEqualTo(3);
    assertThat(view.includeUsageRequested()).isTrue();
  }

  /**
   * Values read on bytes (literals, plain strings, small integers) and the forms left to Jackson
   * read exactly as the parser path reads them (an escaped name sends a body there).
   */
  @Test
  void valuesReadOnBytesReadAsTheParserReadsThem() {
    String[] models = {
      "\"gpt-4o\"",
      "\"\"",
      "\"gpt-é\"",
      "\"a\\\"b\"",
      "\"a\\u0062\"",
      "\" sp ~\"",
      "42",
      "null",
      "true",
      "[\"gpt-4o\"]"
    };
    String[] counts = {
      "0",
      "7",
      "999999999999999999",
      "1000000000000000000",
      "9223372036854775807",
      "9223372036854775808",
      "-9223372036854775809",
      "1e19",
      "1e999",
      "-5",
      "7.0",
      "7.5",
      "1e3",
      "\"7\"",
      "null",
      "false",
      "3000000000"
    };
    String[] streams = {"true", "false", "null", "\"yes\"", "1", "{}"};
    for (String model : models) {
      for (String count : counts) {
        for (String stream : streams) {
          String fields =
              "\"model\":"
                  + model
                  + ",\"max_tokens\":"
                  + count
                  + ",\"n\":"
                  + count
                  + ",\"stream\":"
                  + stream
                  + ",\"max_output_tokens\":"
                  + count;
          OpenAiRequest onBytes = view("{" + fields + "}");
          OpenAiRequest parsed = view("{\"\\u0078\":0," + fields + "}");
          String body = "{" + fields + "}";
          assertThat(onBytes.bodyUnderstood()).as(body).isEqualTo(parsed.bodyUnderstood());
          assertThat(onBytes.model()).as(body).isEqualTo(parsed.model());
          assertThat(onBytes.stream()).as(body).isEqualTo(parsed.stream());
          assertThat(onBytes.maxOutputTokens()).as(body).isEqualTo(parsed.maxOutputTokens());
          assertThat(onBytes.choices()).as(body).isEqualTo(parsed.choices());
          String rewritten = rewritten(onBytes, "other", true);
          String rewrittenParsed = rewritten(parsed, "other", true);
          assertThat(rewritten)
              .as(body)
              .isEqualTo(
                  rewrittenParsed == null
                      ? null
                      : rewrittenParsed.replaceFirst("^\\{\"(\\\\u0078|x)\":0,", "{"));
        }
      }
    }
  }
}
