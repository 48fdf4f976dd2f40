# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The controls of dr_controls_info, one file per area (kms, data, network, traffic, monitoring,
tags, access), each control registered where it is defined (base.control); stack.Stack reads the
live state, runner.Controls evaluates the registered controls in order."""
