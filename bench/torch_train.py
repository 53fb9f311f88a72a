#!/usr/bin/python3
"""PyTorch reference for bench_train: the same training steps (forward, MSE, backward, AdamW) on
one thread, on tensors of the same shapes. Prints one line: samples_per_s=<float>.
usage: torch_train.py mlp BATCH IN H1 H2 OUT
       torch_train.py rel WORLDS DYNAMIC STATIC_EDGES EDGES F G L E H OUT ROUNDS SECONDS
       torch_train.py conv BATCH H W CIN WIDTH LATENT GROUPS LEVELS SECONDS
(conv: the pixel model's encoder -- LEVELS x [conv 4x4 stride 2, group norm, SiLU] doubling from
WIDTH, a 3x3 conv with group norm and SiLU, a 1x1 conv to LATENT -- with an L1 loss and AdamW)
(rel: nudge's relational model over DYNAMIC bodies; STATIC_EDGES of the EDGES come from static bodies)"""
import sys
import time

try:
    import torch
except ImportError:
    print("skip: python3-torch is not installed (apt-get install python3-torch)")
    sys.exit(3)

torch.set_num_threads(1)
torch.manual_seed(0)


def timed(step, samples, seconds):
    for _ in range(5):
        step()
    best = 0.0
    for _ in range(3):
        # CPU time of this process, like bench_train: robust to other jobs on the machine
        n, t0 = 0, time.process_time()
        while time.process_time() - t0 < seconds / 3:
            step()
            n += 1
        best = max(best, n * samples / (time.process_time() - t0))
    return best


def mlp(batch, i, h1, h2, o, seconds):
    net = torch.nn.Sequential(torch.nn.Linear(i, h1), torch.nn.ReLU(), torch.nn.Linear(h1, h2),
                              torch.nn.ReLU(), torch.nn.Linear(h2, o))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    x, y = torch.randn(batch, i), torch.randn(batch, o)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
    return timed(step, batch, seconds)


class Rel(torch.nn.Module):
    """nudge's relational model (model/wm_net.c): encoder, ROUNDS rounds of an edge layer over
    [receiver | sender] parts and edge features (a static sender adds no part) with summed
    messages and a residual node update, then the decoder"""

    def __init__(self, F, G, L, E, H, O, R):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Linear(F, L), torch.nn.ReLU(), torch.nn.Linear(L, L), torch.nn.ReLU())
        self.e_node = torch.nn.ModuleList([torch.nn.Linear(L, 2 * E, bias=False) for _ in range(R)])
        self.e_geom = torch.nn.ModuleList([torch.nn.Linear(G, E) for _ in range(R)])
        self.update = torch.nn.ModuleList([torch.nn.Linear(L + E, L) for _ in range(R - 1)])
        self.dec = torch.nn.Sequential(torch.nn.Linear(L + E + F, H), torch.nn.ReLU(), torch.nn.Linear(H, H),
                                       torch.nn.ReLU(), torch.nn.Linear(H, O))
        self.E, self.R = E, R

    def forward(self, xn, xe, recv, send, dyn_send):
        z = self.enc(xn)
        for r in range(self.R):
            p = self.e_node[r](z)
            part = p[send, self.E:] * dyn_send[:, None]
            h = torch.relu(self.e_geom[r](xe) + p[recv, :self.E] + part)
            msg = torch.zeros(z.shape[0], self.E).index_add_(0, recv, h)
            if r + 1 < self.R:
                z = z + torch.relu(self.update[r](torch.cat([z, msg], 1)))
        return self.dec(torch.cat([z, msg, xn], 1))


def rel(worlds, nd, nstatic, ne, F, G, L, E, H, O, R, seconds):
    net = Rel(F, G, L, E, H, O, R)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    xn, xe, y = torch.randn(nd, F), torch.randn(ne, G), torch.randn(nd, O)
    recv, send = torch.randint(0, nd, (ne,)), torch.randint(0, nd, (ne,))
    dyn_send = (torch.arange(ne) >= nstatic).float()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(net(xn, xe, recv, send, dyn_send), y)
        loss.backward()
        opt.step()
    return timed(step, worlds, seconds)


def conv(batch, h, w, cin, width, latent, groups, levels, seconds):
    layers, c_in, c = [], cin, width
    for _ in range(levels):
        layers += [torch.nn.Conv2d(c_in, c, 4, 2, 1), torch.nn.GroupNorm(groups, c), torch.nn.SiLU()]
        c_in, c = c, c * 2
    layers += [torch.nn.Conv2d(c_in, c_in, 3, 1, 1), torch.nn.GroupNorm(groups, c_in), torch.nn.SiLU(),
               torch.nn.Conv2d(c_in, latent, 1)]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    x = torch.randn(batch, cin, h, w)
    y = torch.randn(batch, latent, h >> levels, w >> levels)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.l1_loss(net(x), y)
        loss.backward()
        opt.step()
    return timed(step, batch, seconds)


if __name__ == "__main__":
    a = sys.argv[1:]
    if a and a[0] == "mlp":
        b, i, h1, h2, o = map(int, a[1:6])
        print("samples_per_s=%.1f" % mlp(b, i, h1, h2, o, float(a[6]) if len(a) > 6 else 3.0))
    elif a and a[0] == "rel":
        v = list(map(int, a[1:12]))
        print("samples_per_s=%.1f" % rel(*v, float(a[12]) if len(a) > 12 else 3.0))
    elif a and a[0] == "conv":
        v = list(map(int, a[1:9]))
        print("samples_per_s=%.1f" % conv(*v, float(a[9]) if len(a) > 9 else 3.0))
    else:
        print(__doc__)
        sys.exit(2)
