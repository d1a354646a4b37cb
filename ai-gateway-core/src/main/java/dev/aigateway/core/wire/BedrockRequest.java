package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.core.adapter.ClientRequest;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A Bedrock runtime request as its {@link BedrockFormat} reads it: the model from the path, whether
 * it streams from the operation, the output allowance from the format's fields, the body parsed
 * whole on first use (and never when larger than the gateway's bound).
 */
final class BedrockRequest extends TreeRequest {

  private final BedrockFormat format;
  private final String model;
  private String allowanceField;
  private long allowance = -1;
  private boolean allowanceRead;

  BedrockRequest(
      BedrockFormat format, CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    super(match, request, maxParsedBodyBytes);
    this.format = format;
    this.model = format.modelIn(request.encodedPath());
  }

  @Override
  public WireFormat format() {
    return format;
  }

  /** {@code aws.bedrock}, as the OpenTelemetry GenAI conventions name Amazon Bedrock. */
  @Override
  public String provider() {
    return "aws.bedrock";
  }

  @Override
  public @Nullable String maxOutputTokensField() {
    readAllowance();
    return allowanceField;
  }

  /** Bedrock has no deployments; the model ID (or ARN) is the {@link #model()}. */
  @Override
  public @Nullable String deployment() {
    return null;
  }

  /** The model ID from the path, decoded (an ARN reads as the ARN). */
  @Override
  public @Nullable String model() {
    return model;
  }

  @Override
  public boolean stream() {
    return format.streams();
  }

  /** Bedrock streams always report usage; nothing is asked for. */
  @Override
  public boolean includeUsageRequested() {
    return false;
  }

  @Override
  public OptionalLong maxOutputTokens() {
    readAllowance();
    return allowance < 0 ? OptionalLong.empty() : OptionalLong.of(allowance);
  }

  @Override
  public int choices() {
    return 1;
  }

  @Override
  public boolean bodyUnderstood() {
    return body() != null;
  }

  private synchronized void readAllowance() {
    if (allowanceRead) {
      return;
    }
    allowanceRead = true;
    ObjectNode tree = body();
    if (tree == null) {
      return;
    }
    for (String pointer : format.allowanceFields()) {
      JsonNode value = tree.at(pointer);
      if (value.isIntegralNumber() && value.canConvertToLong() && value.longValue() >= 0) {
        allowance = value.longValue();
        allowanceField = pointer.substring(1).replace('/', '.');
        return;
      }
    }
  }
}
