/**
 * Signing requests for Amazon Web Services backends (Amazon Bedrock): AWS Signature Version 4
 * ({@link dev.aigateway.core.aws.AwsSigV4}), written on the JDK's HMAC-SHA256 and SHA-256, and the
 * credentials it signs with ({@link dev.aigateway.core.aws.AwsCredentials}, supplied by an {@link
 * dev.aigateway.core.aws.AwsCredentialsProvider}: static, the environment, or the AWS SDK's default
 * chain through the optional {@code ai-gateway-aws} module).
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.aws;

import org.jspecify.annotations.NullMarked;
