import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export const SECCOMP_FORMATS = ['docker', 'spo'] as const;
export type SeccompFormat = (typeof SECCOMP_FORMATS)[number];
export const NETWORK_POLICY_FORMATS = ['kubernetes', 'cilium'] as const;
export type NetworkPolicyFormat = (typeof NETWORK_POLICY_FORMATS)[number];

/** Object name and namespace of a generated Kubernetes object (checked as DNS-1123 names by the service). */
class ObjectQueryDto {
  @ApiPropertyOptional({ description: 'metadata.name (DNS-1123 subdomain); default quarantine-<first 8 of the analysis id>' })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  name?: string;

  @ApiPropertyOptional({ description: 'metadata.namespace (DNS-1123 label); omitted when absent' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  namespace?: string;
}

export class SeccompQueryDto extends ObjectQueryDto {
  @ApiPropertyOptional({ enum: SECCOMP_FORMATS, default: 'docker', description: 'docker: the Docker/OCI seccomp JSON; spo: a Security Profiles Operator SeccompProfile object' })
  @IsOptional()
  @IsIn(SECCOMP_FORMATS, { message: `format must be one of: ${SECCOMP_FORMATS.join(', ')}` })
  format?: SeccompFormat;
}

export class NetworkPolicyQueryDto extends ObjectQueryDto {
  @ApiPropertyOptional({ enum: NETWORK_POLICY_FORMATS, default: 'kubernetes', description: 'kubernetes: networking.k8s.io/v1 NetworkPolicy; cilium: cilium.io/v2 CiliumNetworkPolicy with FQDN egress' })
  @IsOptional()
  @IsIn(NETWORK_POLICY_FORMATS, { message: `format must be one of: ${NETWORK_POLICY_FORMATS.join(', ')}` })
  format?: NetworkPolicyFormat;

  @ApiPropertyOptional({ example: 'app=web,tier=front', description: 'Pod selector: comma-separated key=value label terms (≤ 16 terms, ≤ 1024 chars); empty selects every pod of the namespace' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  selector?: string;
}
