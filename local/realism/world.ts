import { regionTable } from '../../shared/regions';
import { ec2NotFoundAnswer, type AwsErrorAnswer, type RealismService } from './aws-errors';
import { scaledMs, type RealismProfile, type SecondsRange, type VendorAcceptance } from './profiles';
import { between, type Random } from './random';

/**
 * What moto does not model, kept beside it: when each resource the layer saw being created becomes ready (or
 * gone), when it becomes visible, what depends on what, and which idempotency tokens were used. All times are
 * wall-clock milliseconds already divided by the profile's time scale.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

interface Lifecycle {
  readyAt: number;
  /** Set once a delete was accepted: until `goneAt` the resource is `deleting`. */
  deletingAt?: number;
  goneAt?: number;
}
interface NatGatewayRecord extends Lifecycle {
  id: string;
  vpcId?: string;
  subnetId?: string;
  allocationIds: string[];
}
interface VpcEndpointRecord extends Lifecycle {
  id: string;
  vpcId?: string;
  subnetIds: string[];
  groupIds: string[];
}

/** A note on what the world changed in an answer, for the event log. */
export interface WorldNote {
  detail: string;
}

/** What an idempotency-token check decided. */
export type TokenDecision =
  | { kind: 'none' }
  | { kind: 'first'; key: string; params: string }
  | { kind: 'replay'; output: Obj }
  | { kind: 'wait'; pending: Promise<Obj | undefined> }
  | { kind: 'mismatch'; answer: AwsErrorAnswer };

/** Creates whose new ID EC2 may not know yet on the next call, and where the ID is in the answer. */
const EC2_CREATED_ID: Record<string, (out: Obj) => string | undefined> = {
  CreateVpc: (o) => str(obj(o.Vpc)?.VpcId),
  CreateSubnet: (o) => str(obj(o.Subnet)?.SubnetId),
  CreateSecurityGroup: (o) => str(o.GroupId),
  CreateInternetGateway: (o) => str(obj(o.InternetGateway)?.InternetGatewayId),
  CreateRouteTable: (o) => str(obj(o.RouteTable)?.RouteTableId),
  AllocateAddress: (o) => str(o.AllocationId),
  CreateNatGateway: (o) => str(obj(o.NatGateway)?.NatGatewayId),
  CreateVpcEndpoint: (o) => str(obj(o.VpcEndpoint)?.VpcEndpointId),
};

/**
 * Describe calls that may leave out a VPC, internet gateway or Elastic IP created a moment ago when they filter
 * (by tag) rather than name it (`consistency.ec2Listing`), with where the items and their IDs are in the answer.
 * Only these three: their creates take no ClientToken, so this lag is what lets a retry make a second one.
 */
const EC2_LISTINGS: Record<string, { items: string; id: string; named: string }> = {
  DescribeVpcs: { items: 'Vpcs', id: 'VpcId', named: 'VpcIds' },
  DescribeInternetGateways: { items: 'InternetGateways', id: 'InternetGatewayId', named: 'InternetGatewayIds' },
  DescribeAddresses: { items: 'Addresses', id: 'AllocationId', named: 'AllocationIds' },
};
const LISTING_LAG_CREATES = new Set(['CreateVpc', 'CreateInternetGateway', 'AllocateAddress']);

/** The vendor's endpoint service names (shared/regions.ts, with `BYOC_EXTRA_REGIONS`), by the region each serves. */
const vendorServices = (): Map<string, string> => new Map(Object.entries(regionTable()).map(([region, info]) => [info.endpointServiceName, region]));

/** EC2 calls that name resources by ID and so can miss a just-created one (AWS's eventual consistency). */
const ec2NamesResources = (operation: string): boolean => /^(Describe|Modify)/.test(operation) || operation === 'CreateRoute' || operation === 'ReplaceRoute';

/** Calls whose ClientToken moto ignores while AWS honours it. */
const EC2_TOKEN_OPERATIONS = new Set(['CreateNatGateway', 'CreateVpcEndpoint', 'CreateRouteTable']);

/** Route 53 calls that answer with a `ChangeInfo` that is PENDING on AWS. */
const ROUTE53_CHANGES = new Set(['CreateHostedZone', 'ChangeResourceRecordSets', 'DeleteHostedZone', 'AssociateVPCWithHostedZone', 'DisassociateVPCFromHostedZone']);

/** JSON with sorted keys: two inputs with the same parameters give the same text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Obj).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const withoutKey = (input: Obj, key: string): Obj => Object.fromEntries(Object.entries(input).filter(([k]) => k !== key));

export class SimulatedWorld {
  private readonly natGateways = new Map<string, NatGatewayRecord>();
  private readonly vpcEndpoints = new Map<string, VpcEndpointRecord>();
  /** Gateway endpoints (S3): ready and removed at once on AWS, so never `pending` or `deleting` here. */
  private readonly gatewayEndpoints = new Set<string>();
  private readonly changes = new Map<string, number>();
  private readonly ec2VisibleAt = new Map<string, number>();
  private readonly rolesVisibleAt = new Map<string, number>();
  private readonly tokens = new Map<string, { params: string; output?: Obj; pending?: Promise<Obj | undefined> }>();
  /** When a just-created VPC, internet gateway or Elastic IP shows up in filtered listings (`consistency.ec2Listing`). */
  private readonly listedAt = new Map<string, number>();
  /** Each region's zones as EC2 named them to us (learned from DescribeAvailabilityZones answers). */
  private readonly zonesByRegion = new Map<string, { zoneName: string; zoneId: string }[]>();
  /** Interface endpoints to a vendor endpoint service, whose acceptance the profile decides. */
  private readonly vendorEndpoints = new Set<string>();
  /**
   * Network interfaces made with CreateNetworkInterface (someone's Lambda, load balancer or cluster in our subnet;
   * moto lets the subnet and the group go while one lives, AWS does not), by ID: their subnet and groups.
   */
  private readonly interfaces = new Map<string, { subnetId?: string; groupIds: string[] }>();
  /** Rules of one group that name another (`UserIdGroupPairs`): AWS refuses to delete a group another group's rule names. */
  private readonly groupReferences = new Map<string, Set<string>>();
  /**
   * Gateway endpoints (S3) not deleted yet, with their VPC and route tables: AWS refuses DeleteVpc while one is in
   * the VPC; moto lets the VPC and the route table go and then cannot delete the endpoint (InvalidRouteTableID.NotFound).
   */
  private readonly liveGatewayEndpoints = new Map<string, { vpcId?: string; routeTableIds: string[] }>();

  constructor(
    private readonly profile: RealismProfile,
    private readonly random: Random,
    private readonly now: () => number,
  ) {}

  private after(range: SecondsRange): number {
    return this.now() + scaledMs(between(this.random, range), this.profile.timeScale);
  }

  // ---- learning from answers ----------------------------------------------------------------

  /** Record what a successful call created or deleted. */
  learn(service: RealismService, operation: string, input: Obj, output: Obj): void {
    const { readiness, consistency } = this.profile;
    if (service === 'ec2') {
      if (this.profile.dependencies) this.learnDependents(operation, input, output);
      const created = EC2_CREATED_ID[operation]?.(output);
      if (created && consistency) this.ec2VisibleAt.set(created, this.after(consistency.ec2));
      if (created && consistency && consistency.ec2Listing && LISTING_LAG_CREATES.has(operation)) this.listedAt.set(created, this.after(consistency.ec2Listing));
      if (operation === 'DescribeAvailabilityZones') this.learnZones(output);
      if (operation === 'CreateVpcEndpoint') {
        const endpoint = obj(output.VpcEndpoint);
        const id = str(endpoint?.VpcEndpointId);
        const serviceName = str(endpoint?.ServiceName) ?? str(input.ServiceName);
        const type = str(endpoint?.VpcEndpointType) ?? str(input.VpcEndpointType);
        if (id && serviceName && type !== 'Gateway' && vendorServices().has(serviceName)) this.vendorEndpoints.add(id);
      }
      if (!readiness) return;
      if (operation === 'CreateNatGateway') {
        const nat = obj(output.NatGateway);
        const id = str(nat?.NatGatewayId);
        if (id && !this.natGateways.has(id)) {
          const addresses = Array.isArray(nat?.NatGatewayAddresses) ? nat.NatGatewayAddresses.map((a) => str(obj(a)?.AllocationId)) : [];
          this.natGateways.set(id, {
            id,
            vpcId: str(nat?.VpcId),
            subnetId: str(nat?.SubnetId) ?? str(input.SubnetId),
            allocationIds: [...new Set([...addresses, str(input.AllocationId)].filter((a): a is string => !!a))],
            readyAt: this.after(readiness.natGatewayAvailable),
          });
        }
      } else if (operation === 'DeleteNatGateway') {
        const id = str(output.NatGatewayId) ?? str(input.NatGatewayId);
        if (id) this.startDeleting(this.natGateways, id, readiness.natGatewayDeleted, () => ({ id, allocationIds: [], readyAt: 0 }));
      } else if (operation === 'CreateVpcEndpoint') {
        const endpoint = obj(output.VpcEndpoint);
        const id = str(endpoint?.VpcEndpointId);
        // A gateway endpoint (S3) is available at once and gone at once on AWS: nothing to model.
        const gateway = str(input.VpcEndpointType) === 'Gateway' || str(endpoint?.VpcEndpointType) === 'Gateway';
        if (id && gateway) this.gatewayEndpoints.add(id);
        else if (id && !this.vpcEndpoints.has(id)) {
          const groups = Array.isArray(endpoint?.Groups) ? endpoint.Groups.map((g) => str(obj(g)?.GroupId)) : [];
          this.vpcEndpoints.set(id, {
            id,
            vpcId: str(endpoint?.VpcId) ?? str(input.VpcId),
            subnetIds: [...new Set([...strs(endpoint?.SubnetIds), ...strs(input.SubnetIds)])],
            groupIds: [...new Set([...groups, ...strs(input.SecurityGroupIds)].filter((g): g is string => !!g))],
            readyAt: this.after(readiness.vpcEndpointAvailable),
          });
        }
      } else if (operation === 'DeleteVpcEndpoints') {
        const failed = new Set((Array.isArray(output.Unsuccessful) ? output.Unsuccessful : []).map((u) => str(obj(u)?.ResourceId)));
        for (const id of strs(input.VpcEndpointIds)) {
          if (!failed.has(id) && !this.gatewayEndpoints.has(id)) this.startDeleting(this.vpcEndpoints, id, readiness.vpcEndpointDeleted, () => ({ id, subnetIds: [], groupIds: [], readyAt: 0 }));
        }
      }
    } else if (service === 'iam') {
      if (operation === 'CreateRole' && consistency) {
        const name = str(obj(output.Role)?.RoleName) ?? str(input.RoleName);
        if (name) this.rolesVisibleAt.set(name, this.after(consistency.iam));
      }
    } else if (service === 'route53' && readiness && ROUTE53_CHANGES.has(operation)) {
      const id = changeId(str(obj(output.ChangeInfo)?.Id));
      if (id && !this.changes.has(id)) this.changes.set(id, this.after(readiness.route53InSync));
    }
  }

  /** Interfaces and group-to-group rules that hold a subnet or a security group (see `dependencyViolation`). */
  private learnDependents(operation: string, input: Obj, output: Obj): void {
    if (operation === 'CreateNetworkInterface') {
      const eni = obj(output.NetworkInterface);
      const id = str(eni?.NetworkInterfaceId);
      const groups = Array.isArray(eni?.Groups) ? eni.Groups.map((g) => str(obj(g)?.GroupId)) : [];
      if (id) this.interfaces.set(id, { subnetId: str(eni?.SubnetId) ?? str(input.SubnetId), groupIds: [...new Set([...groups, ...strs(input.Groups)].filter((g): g is string => !!g))] });
    } else if (operation === 'DeleteNetworkInterface') {
      const id = str(input.NetworkInterfaceId);
      if (id) this.interfaces.delete(id);
    } else if (/^(Authorize|Revoke)SecurityGroup(Ingress|Egress)$/.test(operation)) {
      const from = str(input.GroupId);
      const permissions = Array.isArray(input.IpPermissions) ? input.IpPermissions.map(obj) : [];
      const named = permissions.flatMap((p) => (Array.isArray(p?.UserIdGroupPairs) ? p.UserIdGroupPairs.map((g) => str(obj(g)?.GroupId)) : []));
      for (const to of named) {
        if (!from || !to || to === from) continue; // a group's rules naming itself never hold it
        const holders = this.groupReferences.get(to) ?? new Set<string>();
        if (operation.startsWith('Authorize')) holders.add(from);
        else holders.delete(from);
        this.groupReferences.set(to, holders);
      }
    } else if (operation === 'DeleteSecurityGroup') {
      const id = str(input.GroupId);
      for (const holders of this.groupReferences.values()) if (id) holders.delete(id);
    } else if (operation === 'CreateVpcEndpoint') {
      const endpoint = obj(output.VpcEndpoint);
      const id = str(endpoint?.VpcEndpointId);
      if (id && (str(input.VpcEndpointType) === 'Gateway' || str(endpoint?.VpcEndpointType) === 'Gateway')) {
        this.liveGatewayEndpoints.set(id, { vpcId: str(endpoint?.VpcId) ?? str(input.VpcId), routeTableIds: [...new Set([...strs(endpoint?.RouteTableIds), ...strs(input.RouteTableIds)])] });
      }
    } else if (operation === 'DeleteVpcEndpoints') {
      const failed = new Set((Array.isArray(output.Unsuccessful) ? output.Unsuccessful : []).map((u) => str(obj(u)?.ResourceId)));
      for (const id of strs(input.VpcEndpointIds)) if (!failed.has(id)) this.liveGatewayEndpoints.delete(id);
    }
  }

  /** Zone names and IDs per region, from a DescribeAvailabilityZones answer. */
  private learnZones(output: Obj): void {
    const zones = (Array.isArray(output.AvailabilityZones) ? output.AvailabilityZones : []).map(obj);
    const byRegion = new Map<string, { zoneName: string; zoneId: string }[]>();
    for (const zone of zones) {
      const zoneName = str(zone?.ZoneName);
      const zoneId = str(zone?.ZoneId);
      const region = str(zone?.RegionName) ?? zoneName?.replace(/[a-z]$/, '');
      if (!zoneName || !zoneId || !region || (zone?.ZoneType !== undefined && zone.ZoneType !== 'availability-zone')) continue;
      byRegion.set(region, [...(byRegion.get(region) ?? []), { zoneName, zoneId }]);
    }
    for (const [region, list] of byRegion) this.zonesByRegion.set(region, list);
  }

  /**
   * An answer AWS would give where moto gives an error: `DescribeVpcEndpointServices` for the vendor's endpoint
   * services (shared/regions.ts), which moto does not know (`InvalidServiceName`). AWS answers the service's details
   * to an account the vendor allowed: an interface service offered in the region's zones (all but the profile's
   * `vendorEndpointServices.unavailableZoneIds`), by name and by zone ID. Undefined when the world has nothing to
   * say: another error, another call, or a region whose zones the world has not seen yet (every caller of ours
   * lists the zones first).
   */
  answerInstead(service: RealismService, operation: string, input: Obj, error: unknown): Obj | undefined {
    if (service !== 'ec2' || operation !== 'DescribeVpcEndpointServices' || (error as { name?: string } | undefined)?.name !== 'InvalidServiceName') return undefined;
    const names = strs(input.ServiceNames);
    const vendor = vendorServices();
    if (names.length === 0 || !names.every((n) => vendor.has(n))) return undefined;
    const unavailable = new Set(this.profile.vendorEndpointServices?.unavailableZoneIds ?? []);
    const details: Obj[] = [];
    for (const name of names) {
      const region = vendor.get(name)!;
      const zones = this.zonesByRegion.get(region);
      if (!zones) return undefined;
      const offered = zones.filter((z) => !unavailable.has(z.zoneId));
      const serviceId = name.slice(name.lastIndexOf('.') + 1);
      details.push({
        ServiceName: name,
        ServiceId: serviceId,
        ServiceType: [{ ServiceType: 'Interface' }],
        ServiceRegion: region,
        AvailabilityZones: offered.map((z) => z.zoneName),
        AvailabilityZoneIds: offered.map((z) => z.zoneId),
        BaseEndpointDnsNames: [`${serviceId}.${region}.vpce.amazonaws.com`],
        VpcEndpointPolicySupported: false,
        AcceptanceRequired: this.acceptance() !== 'accepted',
        ManagesVpcEndpoints: false,
        SupportedIpAddressTypes: ['ipv4'],
        Tags: [],
      });
    }
    return { ServiceDetails: details, ServiceNames: names };
  }

  private acceptance(): VendorAcceptance {
    return this.profile.vendorEndpointServices?.acceptance ?? 'accepted';
  }

  /** A delete AWS accepted: the resource is `deleting` for a while. One created before the layer was installed is tracked from here. */
  private startDeleting<T extends Lifecycle>(map: Map<string, T>, id: string, range: SecondsRange, unseen: () => T): void {
    const record = map.get(id) ?? unseen();
    if (record.deletingAt === undefined) {
      record.deletingAt = this.now();
      record.goneAt = this.after(range);
    }
    map.set(id, record);
  }

  // ---- what AWS would say now ---------------------------------------------------------------

  private stateOf(record: Lifecycle): string {
    const now = this.now();
    if (record.goneAt !== undefined) return now < record.goneAt ? 'deleting' : 'deleted';
    return now < record.readyAt ? 'pending' : 'available';
  }

  /** Wall time left until the record's next state, for messages. */
  private remaining(record: Lifecycle): string {
    return `${(((record.goneAt ?? record.readyAt) - this.now()) / 1000).toFixed(2)} s`;
  }

  /**
   * Rewrite a parsed answer to what AWS would show at this moment (a NAT gateway still `pending`, a change still
   * `PENDING`). Only `available`/`deleted` answers from moto are rewritten; a `failed` one stays failed.
   * `stateFilter` is the state filter the layer took out of the request (moto would have matched it against its
   * own instant states): it is applied here, to the states AWS would show.
   */
  rewrite(service: RealismService, operation: string, input: Obj, output: Obj, stateFilter?: string[]): WorldNote[] {
    const notes: WorldNote[] = [...this.hideUnlisted(service, operation, input, output), ...this.vendorAcceptance(service, operation, output)];
    if (!this.profile.readiness) return notes;
    const apply = (item: Obj | undefined, map: Map<string, Lifecycle>, idKey: string) => {
      const id = str(item?.[idKey]);
      const record = id ? map.get(id) : undefined;
      if (!item || !id || !record) return;
      const shown = str(item.State);
      if (shown !== 'available' && shown !== 'deleted' && shown !== 'deleting' && shown !== 'pending') return;
      const state = this.stateOf(record);
      if (state !== shown) {
        item.State = state;
        if (state === 'pending' || state === 'deleting') notes.push({ detail: `${id} ${state} (${state === 'pending' ? 'available' : 'deleted'} in ${this.remaining(record)})` });
      }
    };
    if (service === 'ec2') {
      if (operation === 'CreateNatGateway') apply(obj(output.NatGateway), this.natGateways, 'NatGatewayId');
      if (operation === 'CreateVpcEndpoint') apply(obj(output.VpcEndpoint), this.vpcEndpoints, 'VpcEndpointId');
      if (operation === 'DescribeNatGateways' && Array.isArray(output.NatGateways)) {
        for (const item of output.NatGateways) apply(obj(item), this.natGateways, 'NatGatewayId');
        if (stateFilter) output.NatGateways = output.NatGateways.filter((n) => stateFilter.includes(String(obj(n)?.State)));
      }
      if (operation === 'DescribeVpcEndpoints' && Array.isArray(output.VpcEndpoints)) {
        for (const item of output.VpcEndpoints) apply(obj(item), this.vpcEndpoints, 'VpcEndpointId');
        if (stateFilter) output.VpcEndpoints = output.VpcEndpoints.filter((n) => stateFilter.includes(String(obj(n)?.State)));
      }
    }
    if (service === 'route53') {
      const info = obj(output.ChangeInfo);
      const id = changeId(str(info?.Id) ?? (operation === 'GetChange' ? str(input.Id) : undefined));
      const insyncAt = id ? this.changes.get(id) : undefined;
      if (info && insyncAt !== undefined && this.now() < insyncAt && info.Status === 'INSYNC') {
        info.Status = 'PENDING';
        notes.push({ detail: `change ${id} PENDING (INSYNC in ${((insyncAt - this.now()) / 1000).toFixed(2)} s)` });
      }
    }
    return notes;
  }

  /** `consistency.ec2Listing`: a filtered Describe leaves out the VPCs, gateways and addresses created a moment ago. */
  private hideUnlisted(service: RealismService, operation: string, input: Obj, output: Obj): WorldNote[] {
    const listing = service === 'ec2' ? EC2_LISTINGS[operation] : undefined;
    if (!listing || strs(input[listing.named]).length > 0 || !Array.isArray(output[listing.items])) return [];
    const now = this.now();
    const notes: WorldNote[] = [];
    output[listing.items] = (output[listing.items] as unknown[]).filter((item) => {
      const id = str(obj(item)?.[listing.id]);
      const at = id ? this.listedAt.get(id) : undefined;
      if (at === undefined || now >= at) return true;
      notes.push({ detail: `${id} not listed yet (listed in ${((at - now) / 1000).toFixed(2)} s)` });
      return false;
    });
    return notes;
  }

  /** The vendor has not accepted (or rejected) the connection of an interface endpoint to its service: shown as such. */
  private vendorAcceptance(service: RealismService, operation: string, output: Obj): WorldNote[] {
    const acceptance = this.acceptance();
    if (service !== 'ec2' || acceptance === 'accepted') return [];
    const items = operation === 'CreateVpcEndpoint' ? [obj(output.VpcEndpoint)] : operation === 'DescribeVpcEndpoints' && Array.isArray(output.VpcEndpoints) ? output.VpcEndpoints.map(obj) : [];
    const notes: WorldNote[] = [];
    for (const item of items) {
      const id = str(item?.VpcEndpointId);
      // Only while it lives: once deleted, the readiness rules (or moto's `deleted`) say so.
      if (!item || !id || !this.vendorEndpoints.has(id) || !['available', 'pending'].includes(str(item.State) ?? '') || this.vpcEndpoints.get(id)?.deletingAt !== undefined) continue;
      item.State = acceptance;
      notes.push({ detail: `${id} ${acceptance} (the vendor's endpoint service does not accept it)` });
    }
    return notes;
  }

  /** The name of the state filter of a Describe call that the layer must apply itself (moto would match instant states). */
  static stateFilterKey(operation: string): { param: string; name: string } | undefined {
    if (operation === 'DescribeNatGateways') return { param: 'Filter', name: 'state' };
    if (operation === 'DescribeVpcEndpoints') return { param: 'Filters', name: 'vpc-endpoint-state' };
    return undefined;
  }

  /** A just-created resource this call names and AWS would not know yet: the NotFound AWS answers with. */
  notYetVisible(service: RealismService, operation: string, input: Obj): AwsErrorAnswer | undefined {
    if (!this.profile.consistency) return undefined;
    const now = this.now();
    if (service === 'ec2' && ec2NamesResources(operation)) {
      for (const [key, value] of Object.entries(input)) {
        if (key === 'Filters' || key === 'Filter' || key === 'TagSpecifications') continue;
        for (const id of typeof value === 'string' ? [value] : strs(value)) {
          const visibleAt = this.ec2VisibleAt.get(id);
          if (visibleAt !== undefined && now < visibleAt) return ec2NotFoundAnswer(id, operation);
        }
      }
    }
    if (service === 'iam' && operation !== 'CreateRole') {
      const role = str(input.RoleName);
      const visibleAt = role ? this.rolesVisibleAt.get(role) : undefined;
      if (role && visibleAt !== undefined && now < visibleAt) return { code: 'NoSuchEntity', message: `The role with name ${role} cannot be found.`, status: 404 };
    }
    return undefined;
  }

  /** A call that depends on something still in use or still being deleted: the error AWS answers with. */
  dependencyViolation(service: RealismService, operation: string, input: Obj): AwsErrorAnswer | undefined {
    if (!this.profile.dependencies || service !== 'ec2') return undefined;
    const liveNats = [...this.natGateways.values()].filter((n) => this.stateOf(n) !== 'deleted');
    const liveEndpoints = [...this.vpcEndpoints.values()].filter((e) => this.stateOf(e) !== 'deleted');
    const violation = (message: string): AwsErrorAnswer => ({ code: 'DependencyViolation', message, status: 400 });
    switch (operation) {
      case 'ReleaseAddress': {
        // AWS's answer is the misleading AuthFailure while a NAT gateway (even a deleting one) holds the address.
        const id = str(input.AllocationId);
        if (id && liveNats.some((n) => n.allocationIds.includes(id))) return { code: 'AuthFailure', message: 'You do not have permission to access the specified resource.', status: 400 };
        return undefined;
      }
      case 'DeleteSubnet': {
        const id = str(input.SubnetId);
        const usedByInterface = [...this.interfaces.values()].some((i) => i.subnetId === id);
        if (id && (usedByInterface || liveNats.some((n) => n.subnetId === id) || liveEndpoints.some((e) => e.subnetIds.includes(id)))) {
          return violation(`The subnet '${id}' has dependencies and cannot be deleted.`);
        }
        return undefined;
      }
      case 'DeleteSecurityGroup': {
        const id = str(input.GroupId);
        const held = [...this.interfaces.values()].some((i) => i.groupIds.includes(id ?? '')) || (this.groupReferences.get(id ?? '')?.size ?? 0) > 0;
        if (id && (held || liveEndpoints.some((e) => e.groupIds.includes(id)))) return violation(`resource ${id} has a dependent object`);
        return undefined;
      }
      case 'DetachInternetGateway': {
        const vpc = str(input.VpcId);
        if (vpc && liveNats.some((n) => n.vpcId === vpc)) {
          return violation(`Network ${vpc} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);
        }
        return undefined;
      }
      case 'DeleteRouteTable': {
        const id = str(input.RouteTableId);
        const endpoint = [...this.liveGatewayEndpoints.entries()].find(([, e]) => id && e.routeTableIds.includes(id));
        if (endpoint) return violation(`The routeTable '${id}' has dependencies and cannot be deleted (gateway endpoint ${endpoint[0]}).`);
        return undefined;
      }
      case 'DeleteVpc': {
        const vpc = str(input.VpcId);
        const gateway = [...this.liveGatewayEndpoints.values()].some((e) => e.vpcId === vpc);
        if (vpc && (gateway || liveNats.some((n) => n.vpcId === vpc) || liveEndpoints.some((e) => e.vpcId === vpc))) {
          return violation(`The vpc '${vpc}' has dependencies and cannot be deleted.`);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  // ---- idempotency tokens -------------------------------------------------------------------

  /**
   * AWS's token rules where moto has none: EC2 (ClientToken) - same token and same parameters give the first
   * answer, different parameters `IdempotentParameterMismatch`; Route 53 CreateHostedZone - a CallerReference
   * already used gives `HostedZoneAlreadyExists`, whatever the parameters (as Route 53 documents it).
   */
  checkToken(service: RealismService, operation: string, input: Obj): TokenDecision {
    if (!this.profile.idempotencyTokens) return { kind: 'none' };
    let tokenKey: string;
    if (service === 'ec2' && EC2_TOKEN_OPERATIONS.has(operation)) tokenKey = 'ClientToken';
    else if (service === 'route53' && operation === 'CreateHostedZone') tokenKey = 'CallerReference';
    else return { kind: 'none' };
    const token = str(input[tokenKey]);
    if (!token) return { kind: 'none' }; // the SDK fills in a fresh token per call: nothing to match
    const key = `${service}:${operation}:${token}`;
    const params = stableJson(withoutKey(input, tokenKey));
    const seen = this.tokens.get(key);
    if (!seen) {
      this.tokens.set(key, { params });
      return { kind: 'first', key, params };
    }
    if (service === 'route53') {
      return { kind: 'mismatch', answer: { code: 'HostedZoneAlreadyExists', message: `A hosted zone has already been created with the specified caller reference '${token}'.`, status: 409 } };
    }
    if (seen.params !== params) {
      return { kind: 'mismatch', answer: { code: 'IdempotentParameterMismatch', message: `The client token '${token}' was already used with different parameters.`, status: 400 } };
    }
    if (seen.output) return { kind: 'replay', output: structuredClone(seen.output) };
    return { kind: 'wait', pending: seen.pending ?? Promise.resolve(undefined) };
  }

  /** The first call with a token is under way: calls that repeat it meanwhile wait for its answer. */
  tokenPending(key: string, pending: Promise<Obj | undefined>): void {
    const seen = this.tokens.get(key);
    if (seen) seen.pending = pending;
  }

  /** The first call with a token answered (or failed: then the token is free again, as AWS never saw it succeed). */
  tokenSettled(key: string, output: Obj | undefined): void {
    if (output === undefined) this.tokens.delete(key);
    else {
      const seen = this.tokens.get(key);
      if (seen) seen.output = structuredClone(output);
    }
  }
}

/** Route 53 change IDs come as `/change/C123` or `C123`. */
function changeId(id: string | undefined): string | undefined {
  return id?.replace(/^\/change\//, '');
}
