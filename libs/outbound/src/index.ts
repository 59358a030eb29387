export { type AddressCategory, type AddressVerdict, classifyAddress, isPublicAddress } from './addresses';
export {
  ALLOW_PRIVATE_DESTINATIONS_ENV,
  checkDestinationUrl,
  type DestinationPolicy,
  DestinationRefusedError,
  hostRefusal,
  isDestinationRefused,
  privateDestinationsAllowed,
  resolvedAddressRefusal,
} from './destination';
export {
  createGuardedDispatcher,
  createGuardedLookup,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type FetchPublicOptions,
  fetchPublic,
  type GuardedDispatcherOptions,
  type ResolvedAddress,
  type ResolveHost,
} from './guarded-fetch';
