/*
 * Sockets and waiting on descriptors: families, types and protocols,
 * message flags, socket options, poll and epoll.
 */
import { constOf, fd, flagsOf, i32, mem, textOf, u32, u64, type Arg, type Signature } from './args.js';
import { int, uint } from './format.js';
import { constant, flags, nameOf, xlatOf, type Xlat } from './xlat.js';

const ADDRESS_FAMILIES = xlatOf('AF', {
  AF_UNSPEC: 0, AF_UNIX: 1, AF_INET: 2, AF_AX25: 3, AF_IPX: 4, AF_APPLETALK: 5, AF_NETROM: 6, AF_BRIDGE: 7,
  AF_ATMPVC: 8, AF_X25: 9, AF_INET6: 10, AF_ROSE: 11, AF_DECnet: 12, AF_NETBEUI: 13, AF_SECURITY: 14, AF_KEY: 15,
  AF_NETLINK: 16, AF_PACKET: 17, AF_ASH: 18, AF_ECONET: 19, AF_ATMSVC: 20, AF_RDS: 21, AF_SNA: 22, AF_IRDA: 23,
  AF_PPPOX: 24, AF_WANPIPE: 25, AF_LLC: 26, AF_IB: 27, AF_MPLS: 28, AF_CAN: 29, AF_TIPC: 30, AF_BLUETOOTH: 31,
  AF_IUCV: 32, AF_RXRPC: 33, AF_ISDN: 34, AF_PHONET: 35, AF_IEEE802154: 36, AF_CAIF: 37, AF_ALG: 38, AF_NFC: 39,
  AF_VSOCK: 40, AF_KCM: 41, AF_QIPCRTR: 42, AF_SMC: 43, AF_XDP: 44, AF_MCTP: 45,
});
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;

const SOCK_TYPES = xlatOf('SOCK', {
  SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_RDM: 4, SOCK_SEQPACKET: 5, SOCK_DCCP: 6, SOCK_PACKET: 10,
});
const SOCK_FLAGS = xlatOf('SOCK', { SOCK_CLOEXEC: 0o2000000, SOCK_NONBLOCK: 0o4000 });
const SOCK_TYPE_MASK = 0xfn;

/** SOCK_STREAM|SOCK_CLOEXEC; without a known type, everything is flags. */
const sockType = textOf((v) => {
  const u = BigInt(uint(v));
  const type = nameOf(SOCK_TYPES, u & SOCK_TYPE_MASK);
  if (type === undefined) return flags(SOCK_FLAGS, u);
  const rest = u & ~SOCK_TYPE_MASK;
  return rest === 0n ? type : `${type}|${flags(SOCK_FLAGS, rest)}`;
});

const IP_PROTOCOLS = xlatOf('IPPROTO', {
  IPPROTO_IP: 0, IPPROTO_ICMP: 1, IPPROTO_IGMP: 2, IPPROTO_IPIP: 4, IPPROTO_TCP: 6, IPPROTO_EGP: 8,
  IPPROTO_PUP: 12, IPPROTO_UDP: 17, IPPROTO_IDP: 22, IPPROTO_TP: 29, IPPROTO_DCCP: 33, IPPROTO_IPV6: 41,
  IPPROTO_RSVP: 46, IPPROTO_GRE: 47, IPPROTO_ESP: 50, IPPROTO_AH: 51, IPPROTO_ICMPV6: 58, IPPROTO_MTP: 92,
  IPPROTO_BEETPH: 94, IPPROTO_ENCAP: 98, IPPROTO_PIM: 103, IPPROTO_COMP: 108, IPPROTO_L2TP: 115,
  IPPROTO_SCTP: 132, IPPROTO_UDPLITE: 136, IPPROTO_MPLS: 137, IPPROTO_ETHERNET: 143, IPPROTO_RAW: 255,
  IPPROTO_MPTCP: 262,
});
const NETLINK_PROTOCOLS = xlatOf('NETLINK', {
  NETLINK_ROUTE: 0, NETLINK_UNUSED: 1, NETLINK_USERSOCK: 2, NETLINK_FIREWALL: 3, NETLINK_SOCK_DIAG: 4,
  NETLINK_NFLOG: 5, NETLINK_XFRM: 6, NETLINK_SELINUX: 7, NETLINK_ISCSI: 8, NETLINK_AUDIT: 9,
  NETLINK_FIB_LOOKUP: 10, NETLINK_CONNECTOR: 11, NETLINK_NETFILTER: 12, NETLINK_IP6_FW: 13, NETLINK_DNRTMSG: 14,
  NETLINK_KOBJECT_UEVENT: 15, NETLINK_GENERIC: 16, NETLINK_SCSITRANSPORT: 18, NETLINK_ECRYPTFS: 19,
  NETLINK_RDMA: 20, NETLINK_CRYPTO: 21, NETLINK_SMC: 22,
});

/** The protocol, named in the family's own set where it has one. */
function protocolOf(family: number, v: bigint): string {
  const table = family === AF_INET || family === AF_INET6 ? IP_PROTOCOLS : family === AF_NETLINK ? NETLINK_PROTOCOLS : undefined;
  const p = BigInt(uint(v));
  return (table && nameOf(table, p)) ?? String(int(v));
}

const family = constOf(ADDRESS_FAMILIES);
const protocol: Arg = textOf((v, a) => protocolOf(uint(a[0] ?? 0n), v));

const MSG_FLAGS = xlatOf('MSG', {
  MSG_OOB: 0x1, MSG_PEEK: 0x2, MSG_DONTROUTE: 0x4, MSG_CTRUNC: 0x8, MSG_PROBE: 0x10, MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40, MSG_EOR: 0x80, MSG_WAITALL: 0x100, MSG_FIN: 0x200, MSG_SYN: 0x400, MSG_CONFIRM: 0x800,
  MSG_RST: 0x1000, MSG_ERRQUEUE: 0x2000, MSG_NOSIGNAL: 0x4000, MSG_MORE: 0x8000, MSG_WAITFORONE: 0x10000,
  MSG_SENDPAGE_NOTLAST: 0x20000, MSG_BATCH: 0x40000, MSG_NO_SHARED_FRAGS: 0x80000, MSG_SOCK_DEVMEM: 0x2000000,
  MSG_ZEROCOPY: 0x4000000, MSG_FASTOPEN: 0x20000000, MSG_CMSG_CLOEXEC: 0x40000000, MSG_CMSG_COMPAT: 0x80000000,
});
const msgFlags = flagsOf(MSG_FLAGS);

const SHUTDOWN = xlatOf('SHUT', { SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2 });

const SOCKET_LEVELS = xlatOf('SOL_??', {
  SOL_IP: 0, SOL_SOCKET: 1, SOL_TCP: 6, SOL_UDP: 17, SOL_IPV6: 41, SOL_ICMPV6: 58, SOL_SCTP: 132,
  SOL_UDPLITE: 136, SOL_RAW: 255, SOL_PACKET: 263, SOL_NETLINK: 270, SOL_TLS: 282, SOL_XDP: 283, SOL_MPTCP: 284,
});
const SO_OPTIONS = xlatOf('SO', {
  SO_DEBUG: 1, SO_REUSEADDR: 2, SO_TYPE: 3, SO_ERROR: 4, SO_DONTROUTE: 5, SO_BROADCAST: 6, SO_SNDBUF: 7,
  SO_RCVBUF: 8, SO_KEEPALIVE: 9, SO_OOBINLINE: 10, SO_NO_CHECK: 11, SO_PRIORITY: 12, SO_LINGER: 13,
  SO_BSDCOMPAT: 14, SO_REUSEPORT: 15, SO_PASSCRED: 16, SO_PEERCRED: 17, SO_RCVLOWAT: 18, SO_SNDLOWAT: 19,
  SO_RCVTIMEO_OLD: 20, SO_SNDTIMEO_OLD: 21, SO_BINDTODEVICE: 25, SO_ATTACH_FILTER: 26, SO_DETACH_FILTER: 27,
  SO_PEERNAME: 28, SO_TIMESTAMP_OLD: 29, SO_ACCEPTCONN: 30, SO_PEERSEC: 31, SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33, SO_PASSSEC: 34, SO_MARK: 36, SO_PROTOCOL: 38, SO_DOMAIN: 39, SO_RXQ_OVFL: 40,
  SO_PEEK_OFF: 42, SO_BUSY_POLL: 46, SO_INCOMING_CPU: 49, SO_ATTACH_BPF: 50, SO_PEERGROUPS: 59, SO_ZEROCOPY: 60,
  SO_TIMESTAMP_NEW: 63, SO_RCVTIMEO_NEW: 66, SO_SNDTIMEO_NEW: 67,
});
const TCP_OPTIONS = xlatOf('TCP', {
  TCP_NODELAY: 1, TCP_MAXSEG: 2, TCP_CORK: 3, TCP_KEEPIDLE: 4, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 6, TCP_SYNCNT: 7,
  TCP_LINGER2: 8, TCP_DEFER_ACCEPT: 9, TCP_WINDOW_CLAMP: 10, TCP_INFO: 11, TCP_QUICKACK: 12, TCP_CONGESTION: 13,
  TCP_MD5SIG: 14, TCP_THIN_LINEAR_TIMEOUTS: 16, TCP_USER_TIMEOUT: 18, TCP_REPAIR: 19, TCP_FASTOPEN: 23,
  TCP_TIMESTAMP: 24, TCP_NOTSENT_LOWAT: 25, TCP_FASTOPEN_CONNECT: 30, TCP_ULP: 31,
});
const IP_OPTIONS = xlatOf('IP', {
  IP_TOS: 1, IP_TTL: 2, IP_HDRINCL: 3, IP_OPTIONS: 4, IP_RECVERR: 11, IP_MTU_DISCOVER: 10, IP_MTU: 14,
  IP_FREEBIND: 15, IP_TRANSPARENT: 19, IP_MULTICAST_IF: 32, IP_MULTICAST_TTL: 33, IP_MULTICAST_LOOP: 34,
  IP_ADD_MEMBERSHIP: 35, IP_DROP_MEMBERSHIP: 36, IP_BIND_ADDRESS_NO_PORT: 24,
});
const IPV6_OPTIONS = xlatOf('IPV6', {
  IPV6_UNICAST_HOPS: 16, IPV6_MULTICAST_IF: 17, IPV6_MULTICAST_HOPS: 18, IPV6_MULTICAST_LOOP: 19,
  IPV6_JOIN_GROUP: 20, IPV6_LEAVE_GROUP: 21, IPV6_V6ONLY: 26, IPV6_RECVERR: 25, IPV6_MTU_DISCOVER: 23,
  IPV6_TCLASS: 67,
});
const OPTIONS_BY_LEVEL: Readonly<Record<number, Xlat>> = { 0: IP_OPTIONS, 1: SO_OPTIONS, 6: TCP_OPTIONS, 41: IPV6_OPTIONS };

const level = constOf(SOCKET_LEVELS);
/** An option name, in its level's set; an unknown level leaves the number. */
const optionName: Arg = textOf((v, a) => {
  const table = OPTIONS_BY_LEVEL[uint(a[1] ?? 0n)];
  return table ? constant(table, BigInt(uint(v))) : String(uint(v));
});

const EPOLL_CREATE = xlatOf('EPOLL', { EPOLL_CLOEXEC: 0o2000000 });
const EPOLL_CTL = xlatOf('EPOLL_CTL', { EPOLL_CTL_ADD: 1, EPOLL_CTL_DEL: 2, EPOLL_CTL_MOD: 3 });

/** The socket and polling calls, by x86_64 name. */
export const NETWORK_CALLS: Readonly<Record<string, Signature>> = {
  socket: { args: [family, sockType, protocol] },
  socketpair: { args: [family, sockType, protocol, mem] },
  bind: { args: [fd, mem, u32] },
  connect: { args: [fd, mem, u32] },
  listen: { args: [fd, i32] },
  accept: { args: [fd, mem, mem] },
  accept4: { args: [fd, mem, mem, flagsOf(SOCK_FLAGS)] },
  getsockname: { args: [fd, mem, mem] },
  getpeername: { args: [fd, mem, mem] },
  shutdown: { args: [fd, constOf(SHUTDOWN)] },
  sendto: { args: [fd, mem, u64, msgFlags, mem, u32] },
  recvfrom: { args: [fd, mem, u64, msgFlags, mem, mem] },
  sendmsg: { args: [fd, mem, msgFlags] },
  recvmsg: { args: [fd, mem, msgFlags] },
  sendmmsg: { args: [fd, mem, u32, msgFlags] },
  recvmmsg: { args: [fd, mem, u32, msgFlags, mem] },
  setsockopt: { args: [fd, level, optionName, mem, u32] },
  getsockopt: { args: [fd, level, optionName, mem, mem] },
  poll: { args: [mem, u32, i32] },
  ppoll: { args: [mem, u32, mem, mem, u64] },
  select: { args: [i32, mem, mem, mem, mem] },
  pselect6: { args: [i32, mem, mem, mem, mem, mem] },
  epoll_create: { args: [i32] },
  epoll_create1: { args: [flagsOf(EPOLL_CREATE)] },
  epoll_ctl: { args: [fd, constOf(EPOLL_CTL), fd, mem] },
  epoll_wait: { args: [fd, mem, i32, i32] },
  epoll_pwait: { args: [fd, mem, i32, i32, mem, u64] },
  epoll_pwait2: { args: [fd, mem, i32, mem, mem, u64] },
};
