package dev.aigateway.core.wire;

import dev.aigateway.api.CallMatch;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Bedrock runtime request as its {@link BedrockFormat} reads it: the model from the path (an ARN
 * reads as the ARN), whether it streams from the operation, the output allowance from the format's
 * fields, the body parsed whole on first use (and never when larger than the gateway's bound); its
 * {@link #parameter} is a top-level scalar of the body, else, for Converse, one of {@code
 * inferenceConfig}'s.
 */
final class BedrockRequest extends TreeRequest {

  private final BedrockFormat format;

  BedrockRequest(
      BedrockFormat format, CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    super(format, format.modelIn(request.encodedPath()), match, request, maxParsedBodyBytes);
    this.format = format;
  }

  /** The same request with {@code body} in place of the application's (content safety's). */
  BedrockRequest withBody(byte[] body) {
    return new BedrockRequest(format, match, clientWith(body), maxParsedBodyBytes());
  }

  /** {@code aws.bedrock}, as the OpenTelemetry GenAI conventions name Amazon Bedrock. */
  @Override
  public String provider() {
    return "aws.bedrock";
  }

  @Override
  public boolean stream() {
    return format.streams();
  }

  /**
   * Converse's {@code inferenceConfig} ({@code temperature}, {@code topP}, {@code maxTokens},
   * {@code stopSequences}); none for InvokeModel, whose bodies are the model's own.
   */
  @Override
  @Nullable String settingsMember() {
    return format instanceof BedrockConverseFormat ? "inferenceConfig" : null;
  }

  @Override
  List<String> allowanceFields() {
    return format.allowanceFields();
  }

  @Override
  RequestMembers memberReader() {
    return format.allowanceReader();
  }
}
