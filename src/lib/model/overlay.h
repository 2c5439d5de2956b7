/* The VXLAN overlay's fixed numbers (DESIGN §5), in the model because three
 * subsystems must agree on them: the agent builds the device and its routes
 * (agent/vxlan_calc.h), the policy compiler drops VXLAN datagrams sent by
 * workloads (policy/nft_compile.c), and workload set-up takes the overhead
 * off the veth MTU (workload/veth_mtu.c). */
#ifndef CALICO_OVERLAY_H
#define CALICO_OVERLAY_H

#define VXLAN_IFNAME "vxlan.calico"
#define VXLAN_VNI 4096
#define VXLAN_PORT 4789
/* Outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
#define VXLAN_OVERHEAD 50

#endif
